package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.store.VmStore;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmState;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.provision.CloudInitWait;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * When a guest is ready, and the SSH channel to it: the {@code guest-ready} step. Ready means an SSH login with the
 * VM's own key (the guest's host key pinned on first contact) and, where the guest has cloud-init,
 * {@code cloud-init status --wait} done. This is the seam further wait strategies (a port, an HTTP endpoint, a
 * command, a console line) plug into.
 */
final class GuestReadiness {
    /** How long one SSH attempt waits for the guest's server to identify itself before the poll retries. */
    static final Duration SSH_ANSWER = Duration.ofSeconds(5);
    /** How long one watch for a banner lasts before the poll checks the VM's state and the deadline again. */
    private static final Duration WATCH = Duration.ofSeconds(1);

    private final VmStore store;
    private final CoreContext context;
    private final ProgressListener defaultProgress;

    GuestReadiness(VmStore store, CoreContext context, ProgressListener defaultProgress) {
        this.store = store;
        this.context = context;
        this.defaultProgress = defaultProgress;
    }

    Duration readyTimeout(Duration requested) throws VboxmcpException {
        return requested != null ? requested : Duration.ofSeconds(context.intConfig(CoreKeys.READY_TIMEOUT, 180));
    }

    SshGuestChannel await(String name, Machine m, HypervisorDriver driver, Duration timeout) throws VboxmcpException {
        return await(name, m, driver, timeout, defaultProgress);
    }

    /**
     * Polls until SSH answers, then waits for cloud-init (if the guest has it) within the same timeout. The SSH
     * client starts once {@link SshBannerProbe} saw a server's banner (behind QEMU's user networking the host side
     * accepts at once even while the guest boots, and a stalled attempt held the poll for seconds); it then waits
     * at most {@link #SSH_ANSWER} for the server to identify itself.
     */
    SshGuestChannel await(String name, Machine m, HypervisorDriver driver, Duration timeout, ProgressListener progress)
            throws VboxmcpException {
        long deadline = System.nanoTime() + timeout.toNanos();
        // the SSH client's class loading overlaps the guest's boot instead of following it
        SshKeys.SshKeyPair keys = SshKeys.load(store.dir(name).resolve("ssh").resolve(SshKeys.PRIVATE_KEY_FILE));
        Thread warm = new Thread(() -> SshGuestChannel.warmUp(keys.keyPair()), "vboxmcp-ssh-warm-up");
        warm.setDaemon(true);
        warm.start();
        SshGuestChannel ch = pollSsh(name, m, driver, timeout, deadline);
        try {
            CloudInitWait.await(ch, Duration.ofNanos(deadline - System.nanoTime()), progress, name);
            return ch;
        } catch (VboxmcpException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Polls until SSH answers, without the cloud-init wait: for a clone restored from a ready snapshot, saved only
     * after cloud-init had finished.
     */
    SshGuestChannel awaitSsh(String name, Machine m, HypervisorDriver driver, Duration timeout) throws VboxmcpException {
        return pollSsh(name, m, driver, timeout, System.nanoTime() + timeout.toNanos());
    }

    private SshGuestChannel pollSsh(String name, Machine m, HypervisorDriver driver, Duration timeout, long deadline)
            throws VboxmcpException {
        VboxmcpException last = null;
        try (SshBannerProbe probe = new SshBannerProbe(m.sshHost(), m.sshPort())) {
            while (System.nanoTime() < deadline) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while waiting for the guest");
                }
                VmState s = driver.state(m);
                if (s != VmState.RUNNING && s != VmState.CREATING && s != VmState.UNKNOWN) {
                    throw new VboxmcpException(ErrorCode.HYPERVISOR, "the VM stopped while booting (state " + s + ")"
                            + console(driver, m));
                }
                // the SSH client (key exchange, authentication) only once a server has identified itself
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                if (probe.awaitBanner(Duration.ofMillis(Math.min(left, WATCH.toMillis())))) {
                    try {
                        left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                        return connect(name, m, Duration.ofMillis(Math.min(left, 15_000)),
                                Duration.ofMillis(Math.min(left, SSH_ANSWER.toMillis())));
                    } catch (VboxmcpException e) {
                        if (e.code() != ErrorCode.TIMEOUT) {
                            throw e;
                        }
                        last = e;
                    }
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not watch " + m.sshHost() + ":" + m.sshPort()
                    + " for the guest's SSH server: " + e.getMessage(), e);
        }
        throw new VboxmcpException(ErrorCode.TIMEOUT, "the guest did not answer SSH on " + m.sshHost() + ":" + m.sshPort()
                + " within " + timeout.toSeconds() + " s" + (last == null ? "" : " (" + last.getMessage() + ")")
                + console(driver, m), last);
    }

    private static String console(HypervisorDriver driver, Machine m) {
        String tail = driver.consoleTail(m, 15);
        return tail == null || tail.isBlank() ? "" : "; last console lines:\n" + tail;
    }

    /** A channel to a VM that is running already (handles found again by name). */
    SshGuestChannel connect(String name, Machine m, Duration timeout) throws VboxmcpException {
        return connect(name, m, timeout, timeout);
    }

    private SshGuestChannel connect(String name, Machine m, Duration timeout, Duration answer) throws VboxmcpException {
        Path ssh = store.dir(name).resolve("ssh");
        SshKeys.SshKeyPair keys = SshKeys.load(ssh.resolve(SshKeys.PRIVATE_KEY_FILE));
        return SshGuestChannel.connect(m.sshHost(), m.sshPort(), sshUser(), keys.keyPair(), ssh.resolve("host_key_pin"),
                timeout, answer);
    }

    SshEndpoint endpoint(String name, Machine m) {
        Path ssh = store.dir(name).resolve("ssh");
        String pin = null;
        try {
            Path f = ssh.resolve("host_key_pin");
            pin = RegularFiles.isRegular(f) ? new String(RegularFiles.read(f, 64 << 10), StandardCharsets.UTF_8).trim() : null;
        } catch (IOException ignored) {
            // not pinned yet
        }
        return new SshEndpoint(m.sshHost(), m.sshPort(), sshUser(), ssh.resolve(SshKeys.PRIVATE_KEY_FILE), pin);
    }

    String sshUser() {
        return context.config(CoreKeys.SSH_USER).orElse("root");
    }
}
