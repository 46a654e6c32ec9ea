package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.GuestChannel;

import java.time.Duration;

/**
 * The last part of "guest ready": a guest with cloud-init is ready when cloud-init has finished, not when SSH first
 * answers (cloud-init may still be writing users, mounts or apt sources that provisioning would race with).
 * {@code cloud-init status --wait} exits 0 when done, 1 on a critical error, and (cloud-init 23.4 and later) 2 on a
 * recoverable error, which is ready with a warning. A guest without a {@code cloud-init} command is ready at once.
 */
public final class CloudInitWait {
    /** Exit code meaning "no cloud-init here" (chosen outside cloud-init's 0, 1 and 2). */
    static final int ABSENT = 42;
    static final String WAIT = "command -v cloud-init >/dev/null 2>&1 || exit " + ABSENT
            + "; cloud-init status --wait >/dev/null 2>&1";
    static final String LONG = "cloud-init status --long 2>&1 | tail -n 40";

    private CloudInitWait() {
    }

    /**
     * @param timeout the time left of the ready timeout
     * @throws VboxmcpException {@link ErrorCode#TIMEOUT} if cloud-init did not finish in time,
     *                          {@link ErrorCode#PROVISIONING} with {@code cloud-init status --long} if it failed
     */
    public static void await(GuestChannel guest, Duration timeout, ProgressListener progress, String vmName)
            throws VboxmcpException {
        ExecResult r = guest.exec(GuestCommand.of(WAIT).withTimeout(timeout.isNegative() || timeout.isZero()
                ? Duration.ofSeconds(1) : timeout));
        if (r.timedOut()) {
            throw new VboxmcpException(ErrorCode.TIMEOUT, "cloud-init in the guest did not finish within the ready "
                    + "timeout" + details(guest));
        }
        switch (r.exitCode()) {
            case 0, ABSENT -> { }
            case 2 -> progress.onEvent(new ProgressEvent(ProgressEvent.Kind.INFO, vmName, "guest-ready",
                    "warning: cloud-init finished with a recoverable error" + details(guest), -1, -1, Duration.ZERO));
            default -> throw new VboxmcpException(ErrorCode.PROVISIONING, "cloud-init in the guest failed (exit "
                    + r.exitCode() + ")" + details(guest));
        }
    }

    private static String details(GuestChannel guest) {
        try {
            ExecResult r = guest.exec(GuestCommand.of(LONG).withTimeout(Duration.ofSeconds(30)));
            String text = r.stdout().strip();
            return text.isEmpty() ? "" : ":\n" + text;
        } catch (VboxmcpException e) {
            return "";
        }
    }
}
