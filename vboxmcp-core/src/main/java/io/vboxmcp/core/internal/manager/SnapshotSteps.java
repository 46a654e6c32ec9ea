package io.vboxmcp.core.internal.manager;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SnapshotPolicy;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.snapshot.GuestIdentity;
import io.vboxmcp.core.internal.snapshot.IdentityAgent;
import io.vboxmcp.core.internal.snapshot.SnapshotCache;
import io.vboxmcp.core.internal.snapshot.SnapshotKey;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.spi.GuestChannel;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.ReadySnapshotSupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static io.vboxmcp.core.internal.manager.CreateStep.IDENTITY;
import static io.vboxmcp.core.internal.manager.CreateStep.RESTORE;
import static io.vboxmcp.core.internal.manager.CreateStep.SNAPSHOT;
import static io.vboxmcp.core.internal.ssh.SshGuestChannel.quote;

/**
 * The ready-snapshot side of a create: the key, the restore of a clone with its identity reset (steps
 * {@code restore} and {@code identity}, instead of {@code create → start → provision}), and the save after a cold
 * create provisioned (step {@code snapshot}). The cache never fails a create: a snapshot that is damaged, does not
 * verify or cannot be restored is discarded with a warning and the create boots cold; a save that fails only warns.
 */
final class SnapshotSteps {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SnapshotSteps.class);
    static final String HOST_KEY_PIN = "host_key_pin";

    /** Records a running clone in the VM's journal and store record. */
    @FunctionalInterface
    interface Recorder {
        void record(Machine m) throws VboxmcpException;
    }

    /**
     * A restored clone with its identity reset.
     *
     * @param machine the running clone
     * @param channel a login with the VM's own key on the clone's new, pinned host key, made while the identity
     *                script finished; null if it could not be made then ({@code guest-ready} logs in itself)
     */
    record Clone(Machine machine, SshGuestChannel channel) { }

    /** The key of one create, with the driver's support. */
    record Keyed(String key, Map<String, String> parts, ReadySnapshotSupport support, SnapshotPolicy policy) { }

    private final CoreContext context;
    private final SnapshotCache cache;

    SnapshotSteps(CoreContext context, SnapshotCache cache) {
        this.context = context;
        this.cache = cache;
    }

    SnapshotCache cache() {
        return cache;
    }

    SnapshotPolicy policy(CreateVmRequest request) throws VboxmcpException {
        if (request.snapshots() != null) {
            return request.snapshots();
        }
        Optional<String> v = context.config(CoreKeys.SNAPSHOT_POLICY);
        return v.isEmpty() || v.get().isBlank() ? SnapshotPolicy.NEVER : SnapshotPolicy.parse(v.get());
    }

    /** @return the key of this create, empty if the policy is never or the driver cannot snapshot */
    Optional<Keyed> key(CreateVmRequest request, HypervisorDriver driver, MachineSpec spec, PackageMirrors mirrors)
            throws VboxmcpException {
        SnapshotPolicy policy = policy(request);
        Optional<ReadySnapshotSupport> support = driver.readySnapshots();
        if (policy == SnapshotPolicy.NEVER || support.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> parts = new TreeMap<>(SnapshotKey.coreParts(spec.plan(), spec.image(), spec.sshUser(), mirrors));
        support.get().keyParts(spec).forEach((k, v) -> parts.put(driver.id() + ":" + k, v));
        return Optional.of(new Keyed(SnapshotKey.hash(parts), parts, support.get(), policy));
    }

    /**
     * Restores a clone of the snapshot of {@code k} and gives it its identity.
     *
     * @return the running clone, or empty to create cold (no snapshot, or it was discarded)
     * @throws VboxmcpException only {@code CANCELLED}: every other failure falls back to a cold create
     */
    Optional<Clone> restore(Saga saga, Keyed k, HypervisorDriver driver, MachineSpec spec, SshKeys.SshKeyPair vmKey,
                              Recorder recorder, ProgressListener progress) throws VboxmcpException {
        if (k.policy() != SnapshotPolicy.REUSE) {
            return Optional.empty();
        }
        String vm = spec.plan().vmName();
        try (FileLocks.Held ignored = cache.lock(k.key(), lockWait())) {
            Optional<SnapshotCache.Entry> found;
            try {
                found = cache.find(k.key());
            } catch (VboxmcpException e) {
                discard(k, vm, e, progress);
                return Optional.empty();
            }
            if (found.isEmpty()) {
                return Optional.empty();
            }
            SnapshotCache.Entry e = found.get();
            warmUpSsh(e);
            Machine m;
            try {
                m = saga.step(RESTORE, () -> k.support().restore(spec, e.dir(), e.record().files()));
            } catch (VboxmcpException failure) {
                rethrowIfCancelled(failure);
                discard(k, vm, failure, progress);
                return Optional.empty();
            }
            SshGuestChannel ready;
            try {
                recorder.record(m);  // a process killed from here on leaves a machine crash recovery finds
                ready = saga.step(IDENTITY, () -> CloneIdentity.reset(e, m, spec, vmKey, driver, k.support()));
            } catch (VboxmcpException failure) {
                LOG.warn("VM '{}': identity reset failed; last console lines:\n{}", vm, driver.consoleTail(m, 15));
                destroyQuietly(driver, m, failure);
                rethrowIfCancelled(failure);
                discard(k, vm, failure, progress);
                return Optional.empty();
            }
            cache.touch(e.dir());
            return Optional.of(new Clone(m, ready));
        }
    }

    /** The SSH client's class loading (most of a second in a fresh process) overlaps the restore. */
    private static void warmUpSsh(SnapshotCache.Entry e) {
        Thread t = new Thread(() -> {
            try {
                SshGuestChannel.warmUp(SshKeys.load(e.dir().resolve(SnapshotCache.LOGIN)
                        .resolve(SshKeys.PRIVATE_KEY_FILE)).keyPair());
            } catch (VboxmcpException | RuntimeException ignored) {
                // the identity step reports an unreadable key
            }
        }, "vboxmcp-ssh-warm-up");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Saves the just provisioned machine as the snapshot of {@code k} unless one exists (policy reuse). Never
     * throws but for a cancellation: a failed save is a warning, and the machine runs on either way.
     */
    void save(Saga saga, Keyed k, HypervisorDriver driver, Machine m, SshGuestChannel ch, VmPlan plan, String user,
              SshKeys.SshKeyPair vmKey, ProgressListener progress) throws VboxmcpException {
        try {
            saga.run(SNAPSHOT, () -> saveLocked(k, driver, m, ch, plan, user, vmKey, progress));
        } catch (VboxmcpException e) {
            rethrowIfCancelled(e);
            warn(progress, plan.vmName(), "could not save a ready snapshot (the VM is fine): " + e.getMessage());
        }
        try {
            cache.prune(false);
        } catch (VboxmcpException e) {
            LOG.warn("could not prune ready snapshots: {}", e.getMessage());
        }
    }

    private void saveLocked(Keyed k, HypervisorDriver driver, Machine m, SshGuestChannel ch, VmPlan plan, String user,
                            SshKeys.SshKeyPair vmKey, ProgressListener progress) throws VboxmcpException, IOException {
        try (FileLocks.Held ignored = cache.lock(k.key(), lockWait())) {
            if (k.policy() == SnapshotPolicy.REUSE && existsIntact(k.key())) {
                info(progress, plan.vmName(), "a ready snapshot of this key exists already");
                return;
            }
            Path hostPin = m.vmDir().resolve("ssh").resolve(HOST_KEY_PIN);
            String pin = Files.readString(hostPin).trim();
            Path staged = cache.stage();
            try {
                SshKeys.SshKeyPair login = SshKeys.generate(staged.resolve(SnapshotCache.LOGIN), "vboxmcp-ready-snapshot");
                StringBuilder prepare = new StringBuilder("set -e; d=$(eval echo ~" + user + ")/.ssh; mkdir -p \"$d\"; "
                        + "printf '%s\\n' " + quote(login.publicKeyLine()) + " >> \"$d/authorized_keys\"; ");
                // 9p shares block migration while mounted; the clone mounts its own after restore
                for (PlannedSharedFolder f : plan.sharedFolders()) {
                    prepare.append("umount ").append(quote(f.guestPath())).append("; ");
                }
                // the page cache is most of a provisioned guest's memory (apt's and pip's downloads, their indexes):
                // dropped, and reported free to a hypervisor that takes free pages back (QEMU's balloon with free
                // page reporting, in 2 s cycles after they were freed: 6 s gives it three), the state a clone loads is a fraction of it (what
                // running programs map stays). Linux reports free blocks of 2 MiB and more; the order is lowered to
                // single pages for the save, so that the scattered pages of the dropped cache go back too, and set
                // back afterwards (GuestIdentity.RESET_PAGE_REPORTING, in the saved VM and in every clone)
                prepare.append("sync; set +e; o=" + GuestIdentity.PAGE_REPORTING_ORDER + ";"
                        + " if [ -d /sys/bus/virtio/drivers/virtio_balloon ] && [ -w $o ] && read -r po < $o"
                        + " && printf '%s\\n' \"$po\" > " + GuestIdentity.SAVED_PAGE_REPORTING_ORDER + "; then echo 0 > $o; fi;"
                        + " if echo 3 > /proc/sys/vm/drop_caches 2>/dev/null && [ -d /sys/bus/virtio/drivers/virtio_balloon ];"
                        + " then sleep 6; fi");
                Optional<String> port = k.support().identityPort();
                java.nio.channels.ByteChannel agentPort = port.isEmpty() ? null : connectQuietly(k.support(), m);
                String identityPort = null;
                try {
                    if (agentPort != null) {
                        prepare.append("; ").append(IdentityAgent.startCommand(port.get()));
                    }
                    ExecResult prepared = run(ch, prepare.toString(), "prepare the snapshot");
                    if (agentPort != null && prepared.stdout().contains(IdentityAgent.STARTED)) {
                        identityPort = port.get();
                    }
                    Map<String, String> files;
                    try {
                        files = k.support().save(m, staged, progress);
                    } finally {
                        restoreSource(ch, driver, plan, user, m, login);
                    }
                    cache.commit(staged, new SnapshotCache.Record(k.key(), k.parts(), plan.template().name() + "@"
                            + plan.template().version(), plan.driverId(), files, pin, vmKey.publicKeyLine(),
                            login.publicKeyLine(), Instant.now().toString(), identityPort));
                } finally {
                    if (agentPort != null) {
                        IdentityAgent.dismiss(agentPort);  // the saved VM runs on without the agent
                    }
                }
                info(progress, plan.vmName(), "saved ready snapshot " + k.key().substring(0, 12));
            } finally {
                AtomicFiles.deleteTreeQuietly(staged);
            }
        }
    }

    /** The saved VM is the user's: the snapshot's login key leaves it and its shares are mounted again. */
    private static void restoreSource(SshGuestChannel ch, HypervisorDriver driver, VmPlan plan, String user, Machine m,
                                      SshKeys.SshKeyPair login) {
        String blob = login.publicKeyLine().split("\\s+")[1];
        StringBuilder after = new StringBuilder(GuestIdentity.RESET_PAGE_REPORTING + "; f=$(eval echo ~" + user
                + ")/.ssh/authorized_keys; "
                + "grep -vF " + quote(blob) + " \"$f\" > \"$f.new\"; chmod 600 \"$f.new\"; mv -f \"$f.new\" \"$f\"");
        for (PlannedSharedFolder f : plan.sharedFolders()) {
            after.append("; mount | grep -q \" on ").append(f.guestPath()).append(" \" || ")
                    .append(driver.guestMountCommand(m, f));
        }
        try {
            run(ch, after.toString(), "clean up after the snapshot");
        } catch (VboxmcpException e) {
            LOG.warn("VM '{}': after saving its snapshot: {}", plan.vmName(), e.getMessage());
        }
    }

    private boolean existsIntact(String key) {
        try {
            return cache.find(key).isPresent();
        } catch (VboxmcpException e) {
            return false;
        }
    }

    private void discard(Keyed k, String vm, VboxmcpException why, ProgressListener progress) {
        warn(progress, vm, "ready snapshot " + k.key().substring(0, 12) + " is unusable and was discarded ("
                + why.getMessage() + "); creating cold");
        try {
            cache.discard(k.key());
        } catch (VboxmcpException e) {
            LOG.warn("could not discard ready snapshot {}: {}", k.key(), e.getMessage());
        }
    }

    private static void destroyQuietly(HypervisorDriver driver, Machine m, VboxmcpException failure) {
        try {
            driver.destroy(m);
        } catch (VboxmcpException e) {
            failure.addSuppressed(e);
        }
    }

    private static void rethrowIfCancelled(VboxmcpException e) throws VboxmcpException {
        if (e.code() == ErrorCode.CANCELLED || Thread.currentThread().isInterrupted()) {
            throw e;
        }
    }

    private static ExecResult run(GuestChannel ch, String command, String what) throws VboxmcpException {
        ExecResult r = ch.exec(new GuestCommand(command, null, null, Map.of(), Duration.ofSeconds(60), null));
        if (r.exitCode() != 0) {
            throw new VboxmcpException(ErrorCode.PROVISIONING, what + " failed (exit " + r.exitCode() + "): "
                    + (r.stderr() + r.stdout()).strip());
        }
        return r;
    }

    /** @return the saved VM's identity port, connected; null if it cannot be (its clones are reset over SSH) */
    private static java.nio.channels.ByteChannel connectQuietly(ReadySnapshotSupport support, Machine m) {
        try {
            return support.connectIdentityPort(m);
        } catch (VboxmcpException | RuntimeException e) {
            LOG.warn("VM '{}': no identity port ({}); its snapshot's clones will be reset over SSH", m.name(),
                    e.getMessage());
            return null;
        }
    }

    private Duration lockWait() throws VboxmcpException {
        return Duration.ofSeconds(context.intConfig(CoreKeys.LOCK_TIMEOUT, 10) + 600L);
    }

    private static void info(ProgressListener p, String vm, String msg) {
        emit(p, vm, SNAPSHOT.id(), msg);
    }

    private static void warn(ProgressListener p, String vm, String msg) {
        LOG.warn("VM '{}': {}", vm, msg);
        emit(p, vm, SNAPSHOT.id(), "warning: " + msg);
    }

    static void emit(ProgressListener p, String vm, String step, String msg) {
        try {
            p.onEvent(new ProgressEvent(ProgressEvent.Kind.INFO, vm, step, msg, -1, -1, Duration.ZERO));
        } catch (RuntimeException ignored) {
            // a misbehaving listener must not break creation
        }
    }
}
