package io.vboxmcp.core.internal.manager;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.snapshot.GuestIdentity;
import io.vboxmcp.core.internal.snapshot.IdentityAgent;
import io.vboxmcp.core.internal.snapshot.SnapshotCache;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.ReadySnapshotSupport;

import java.io.IOException;
import java.nio.channels.ByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static io.vboxmcp.core.internal.manager.CreateStep.IDENTITY;

/** The {@code identity} step of a restored clone: its logins, the reset script ({@link GuestIdentity}), the pin. */
final class CloneIdentity {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CloneIdentity.class);
    /** A resumed guest's SSH server runs already; far longer than this means the clone is broken. */
    private static final Duration IDENTITY_LOGIN = Duration.ofSeconds(60);

    private CloneIdentity() {
    }

    /**
     * Resets the clone's identity and mounts its shares in one script, and pins its new host key before anyone
     * connects again: through the identity agent the snapshot's guest left waiting (no login needed), else over an
     * SSH login with the snapshot's key (the guest must show the saved host key). As soon as the script reports the
     * server with the new key, a login with the VM's own key starts beside the rest of the script; it verifies the
     * pinned key on its first contact and is the {@code guest-ready} login.
     *
     * @return that second login, or null if it failed for want of an answer ({@code guest-ready} then polls)
     */
    static SshGuestChannel reset(SnapshotCache.Entry e, Machine m, MachineSpec spec, SshKeys.SshKeyPair vmKey,
                                 HypervisorDriver driver, ReadySnapshotSupport support) throws VboxmcpException, IOException {
        Path ssh = spec.vmDir().resolve("ssh");
        Path vmPin = ssh.resolve(SnapshotSteps.HOST_KEY_PIN);
        List<String> mounts = new ArrayList<>();
        for (PlannedSharedFolder f : spec.plan().sharedFolders()) {
            mounts.add(driver.guestMountCommand(m, f));
        }
        GuestIdentity.Request request = new GuestIdentity.Request(spec.plan().vmName(), spec.instanceId(),
                vmKey.publicKeyLine(), List.of(e.record().sourceKey(), e.record().loginKey()), mounts);
        long t0 = System.nanoTime();
        ByteChannel port = agentPort(e, m, support);
        if (port != null) {
            try (port) {
                SnapshotSteps.emit(spec.progress(), spec.plan().vmName(), IDENTITY.id(), "through the identity agent");
                return reset(IdentityAgent.runner(port), request, m, spec, vmKey, vmPin);
            }
        }
        Path pin = ssh.resolve("snapshot_" + SnapshotSteps.HOST_KEY_PIN);
        AtomicFiles.write(pin, (e.record().hostKeyPin() + "\n").getBytes(StandardCharsets.UTF_8));
        SshKeys.SshKeyPair login = SshKeys.load(e.dir().resolve(SnapshotCache.LOGIN).resolve(SshKeys.PRIVATE_KEY_FILE));
        try (SshGuestChannel ch = loginToClone(m, spec.sshUser(), login, pin)) {
            SnapshotSteps.emit(spec.progress(), spec.plan().vmName(), IDENTITY.id(), "logged in to the clone in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            return reset(ch::runScript, request, m, spec, vmKey, vmPin);
        } finally {
            Files.deleteIfExists(pin);
        }
    }

    /** @return the clone's identity port if its snapshot left an agent waiting on it, else null (log in instead) */
    private static ByteChannel agentPort(SnapshotCache.Entry e, Machine m, ReadySnapshotSupport support) {
        String port = e.record().identityPort();
        if (port == null || !support.identityPort().map(port::equals).orElse(false)) {
            return null;
        }
        try {
            return support.connectIdentityPort(m);
        } catch (VboxmcpException | RuntimeException failure) {
            LOG.warn("VM '{}': identity port unreachable ({}); logging in instead", m.name(), failure.getMessage());
            return null;
        }
    }

    private static SshGuestChannel reset(GuestIdentity.Runner runner, GuestIdentity.Request request, Machine m,
                                         MachineSpec spec, SshKeys.SshKeyPair vmKey, Path vmPin)
            throws VboxmcpException, IOException {
        CompletableFuture<SshGuestChannel> ready = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicReference<String> servedKey = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            GuestIdentity.Outcome o = GuestIdentity.reset(runner, request, fp -> {
                if (servedKey.compareAndSet(null, fp)) {
                    loginBeside(m, spec.sshUser(), vmKey, vmPin, fp, ready);
                }
            });
            if (servedKey.get() == null) {
                // pinned before anyone connects again: the next login must meet exactly this key
                AtomicFiles.write(vmPin, (o.hostKeyFingerprint() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            SnapshotSteps.emit(spec.progress(), spec.plan().vmName(), IDENTITY.id(), "identity reset, new host key "
                    + o.hostKeyFingerprint() + " (guest uptime at each phase: " + o.phases() + ")");
            if (servedKey.get() == null || !servedKey.get().equals(o.hostKeyFingerprint())) {
                ready.thenAccept(SshGuestChannel::close);
                return null;
            }
            return awaitBeside(ready);
        } catch (VboxmcpException | RuntimeException failure) {
            ready.thenAccept(SshGuestChannel::close);
            throw failure;
        }
    }

    /** Pins the new host key, then starts the VM key's login to the clone on its own thread. */
    private static void loginBeside(Machine m, String user, SshKeys.SshKeyPair vmKey, Path vmPin, String fingerprint,
                                    CompletableFuture<SshGuestChannel> ready) {
        try {
            AtomicFiles.write(vmPin, (fingerprint + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            ready.completeExceptionally(new VboxmcpException(ErrorCode.IO, "could not pin the clone's host key: "
                    + e.getMessage(), e));
            return;
        }
        Thread t = new Thread(() -> {
            try {
                ready.complete(SshGuestChannel.connect(m.sshHost(), m.sshPort(), user, vmKey.keyPair(), vmPin,
                        Duration.ofSeconds(15), GuestReadiness.SSH_ANSWER));
            } catch (VboxmcpException | RuntimeException e) {
                ready.completeExceptionally(e);
            }
        }, "vboxmcp-clone-login");
        t.setDaemon(true);
        t.start();
    }

    /** @return the login beside the script; null if it got no answer; a changed host key is an error */
    private static SshGuestChannel awaitBeside(CompletableFuture<SshGuestChannel> ready) throws VboxmcpException {
        try {
            return ready.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ready.thenAccept(SshGuestChannel::close);
            throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while logging in to the clone", e);
        } catch (TimeoutException e) {
            ready.thenAccept(SshGuestChannel::close);
            return null;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof VboxmcpException v && v.code() != ErrorCode.TIMEOUT) {
                throw v;  // a host key that is not the one just pinned, for one
            }
            return null;
        }
    }

    /**
     * The clone runs the saved guest's SSH server already, but right after {@code cont} (and on a loaded host) the
     * first connections through the new port forward may be dropped before the server sees them: poll for the
     * banner as guest-ready does, within a bound.
     */
    private static SshGuestChannel loginToClone(Machine m, String user, SshKeys.SshKeyPair login, Path pin)
            throws VboxmcpException, IOException {
        long deadline = System.nanoTime() + IDENTITY_LOGIN.toNanos();
        VboxmcpException last = null;
        try (SshBannerProbe probe = new SshBannerProbe(m.sshHost(), m.sshPort())) {
            while (System.nanoTime() < deadline) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while logging in to the clone");
                }
                if (probe.awaitBanner(Duration.ofSeconds(1))) {
                    try {
                        return SshGuestChannel.connect(m.sshHost(), m.sshPort(), user, login.keyPair(), pin,
                                Duration.ofSeconds(15), Duration.ofSeconds(5));
                    } catch (VboxmcpException e) {
                        if (e.code() != ErrorCode.TIMEOUT) {
                            throw e;  // a host key that is not the saved guest's, for one
                        }
                        last = e;
                    }
                }
            }
        }
        throw new VboxmcpException(ErrorCode.TIMEOUT, "the restored clone did not answer SSH within "
                + IDENTITY_LOGIN.toSeconds() + " s" + (last == null ? "" : ": " + last.getMessage()), last);
    }

}
