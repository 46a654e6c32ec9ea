package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.GuestChannel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the named steps of provisioning in one guest: each step's output goes to the progress listener as it comes, a
 * failing step becomes a {@link ProvisioningException} naming it with its last output lines.
 */
final class GuestSteps {
    static final int LAST_LINES = 20;
    static final Duration SHORT = Duration.ofMinutes(2);

    final GuestChannel guest;
    private final ProgressListener progress;
    private final String vmName;

    GuestSteps(GuestChannel guest, ProgressListener progress, String vmName) {
        this.guest = guest;
        this.progress = progress;
        this.vmName = vmName;
    }

    /** Runs a root command that must succeed within {@link #SHORT}. */
    void run(String item, String command) throws VboxmcpException {
        run(item, command, null, null, Map.of(), SHORT);
    }

    /** @throws ProvisioningException if the command exits non-zero ({@link ErrorCode#PROVISIONING}) or times out */
    void run(String item, String command, String user, String dir, Map<String, String> env, Duration timeout)
            throws VboxmcpException {
        ExecResult r = exec(item, command, user, dir, env, timeout);
        if (r.exitCode() != 0) {
            throw failure(item, r, null);
        }
    }

    /** Runs a command and returns its result; only a timeout is an error. */
    ExecResult exec(String item, String command, String user, String dir, Map<String, String> env, Duration timeout)
            throws VboxmcpException {
        long start = System.nanoTime();
        emit(item, "running");
        GuestCommand c = new GuestCommand(command, user, dir, env, timeout,
                line -> progress.onEvent(new ProgressEvent(ProgressEvent.Kind.OUTPUT, vmName, item, line, -1, -1,
                        Duration.ofNanos(System.nanoTime() - start))));
        ExecResult r = guest.exec(c);
        if (r.timedOut()) {
            throw new ProvisioningException(ErrorCode.TIMEOUT, item, -1, lastLines(r),
                    "'" + item + "' ran longer than its timeout of " + timeout.toSeconds() + " s and was killed", null);
        }
        return r;
    }

    /** @param why what went wrong, before the exit code; null for the plain form */
    static ProvisioningException failure(String item, ExecResult r, String why) {
        List<String> last = lastLines(r);
        return new ProvisioningException(ErrorCode.PROVISIONING, item, r.exitCode(), last,
                (why == null ? "'" + item + "'" : why + ":") + " exited with " + r.exitCode()
                        + (last.isEmpty() ? "" : "; last output:\n  " + String.join("\n  ", last)), null);
    }

    /** A failure found before anything ran in the guest for this item. */
    static ProvisioningException refused(String item, String message) {
        return new ProvisioningException(ErrorCode.PROVISIONING, item, -1, List.of(), message, null);
    }

    static List<String> lastLines(ExecResult r) {
        List<String> lines = new ArrayList<>();
        for (String s : (r.stdout() + "\n" + r.stderr()).split("\n")) {
            if (!s.isBlank()) {
                lines.add(s);
            }
        }
        return List.copyOf(lines.subList(Math.max(0, lines.size() - LAST_LINES), lines.size()));
    }

    void emit(String item, String message) {
        progress.onEvent(new ProgressEvent(ProgressEvent.Kind.INFO, vmName, "provision", item + ": " + message, -1, -1,
                Duration.ZERO));
    }

    /** An INFO event whose message starts with {@code warning:} (the event kinds are public API; no new kind for this). */
    void warn(String item, String message) {
        emit(item, "warning: " + message);
    }

    /** POSIX single-quote quoting. */
    static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
