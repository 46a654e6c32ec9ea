package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmStateException;
import io.vboxmcp.spi.CloudInitSeed;
import io.vboxmcp.spi.HostPorts;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.ReadySnapshotSupport;
import io.vboxmcp.spi.SeedWriter;
import io.vboxmcp.virtualbox.internal.ReadyTemplates.Descriptor;
import io.vboxmcp.virtualbox.internal.ReadyTemplates.Dvd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Ready snapshots on VirtualBox. <b>Save</b>: the provisioned VM's seed DVD is ejected, a live snapshot of it is
 * taken (memory and device state included, the VM runs on), a full clone of that snapshot becomes the frozen
 * <i>template VM</i> (registered, in the {@code saved} state, never started: its disks stay as they are), the live
 * snapshot is deleted again and the DVD re-inserted, so the user's VM is as it was; the template gets a snapshot
 * {@code ready} that clones link to. <b>Restore</b>: a linked clone of {@code ready} (it is {@code saved} too, its
 * state copied from the snapshot), its NAT rules and console file changed while it is still saved (VirtualBox allows
 * both then), the template's files checked against their digests, then {@code startvm} resumes it and the clone's
 * own seed ISO is inserted; the manager resets its identity over SSH. The template lives in the driver's folder, not
 * in the manager's snapshot folder (that one is staged and renamed, which a registered VM's paths would not survive),
 * so the snapshot folder holds a {@link Descriptor} with the template's file digests, and {@link #release} removes
 * the template once no clone depends on it.
 */
final class VirtualBoxReadySnapshots implements ReadySnapshotSupport {
    /** Bumped when what is saved or how a clone is made changes meaning. */
    static final String FORMAT = "1";
    static final String TEMPLATE_SNAPSHOT = "ready";
    static final String TEMPLATE_ATTR = "readyTemplate";

    private final VirtualBoxPort vbox;
    private final ReadyTemplates templates;
    private final Path baseFolder;
    private final HostPorts ports;
    private final SeedWriter seeds;
    private final Supplier<String> ids;

    /**
     * @param baseFolder null: each clone's VirtualBox folder goes under its vboxmcp folder
     * @param ids        a new template id (hex) per save
     */
    VirtualBoxReadySnapshots(VirtualBoxPort vbox, ReadyTemplates templates, Path baseFolder, HostPorts ports,
                             SeedWriter seeds, Supplier<String> ids) {
        this.vbox = vbox;
        this.templates = templates;
        this.baseFolder = baseFolder;
        this.ports = ports;
        this.seeds = seeds;
        this.ids = ids;
    }

    @Override
    public Map<String, String> keyParts(MachineSpec spec) throws VboxmcpException {
        Map<String, String> parts = new TreeMap<>();
        parts.put("virtualbox.version", vbox.version().toString());
        parts.put("virtualbox.adapter", vbox.adapterId());
        parts.put("virtualbox.format", FORMAT);
        parts.put("virtualbox.firmware", spec.image().firmware().requiresUefi() ? "efi" : "bios");
        return parts;
    }

    @Override
    public Map<String, String> save(Machine machine, Path dir, ProgressListener progress) throws VboxmcpException {
        String vm = machine.attributes().getOrDefault("uuid", machine.name());
        VmInfo info = vbox.info(vm).orElseThrow(() -> new VmStateException(ErrorCode.VM_NOT_FOUND,
                "VirtualBox machine '" + machine.name() + "' does not exist", null));
        if (!info.sharedFolders().isEmpty()) {
            // clonevm copies the permanent shared folders (this VM's host paths) and VirtualBox cannot remove them
            // from a saved machine, so every clone would be given this VM's folders
            throw new HypervisorException("VirtualBox ready snapshots of VMs with shared folders are not supported: "
                    + "the saved template would keep this VM's host folders " + info.sharedFolders());
        }
        if (!"running".equals(info.state().orElse(""))) {
            throw new HypervisorException("VirtualBox machine '" + machine.name() + "' is "
                    + info.state().orElse("unknown") + ", not running; only a running VM can be saved");
        }
        String id = ids.get();
        String template = "vboxmcp-ready-" + id;
        String liveSnapshot = template;
        Optional<VmInfo.Attachment> seed = info.attachments().stream()
                .filter(a -> a.medium() != null && a.medium().endsWith(VirtualBoxDriver.SEED_ISO)).findFirst();
        Dvd dvd = seed.map(a -> new Dvd(a.controller(), a.port(), a.device())).orElse(null);
        String templateUuid = null;
        boolean taken = false;
        VboxmcpException failed = null;
        try {
            if (dvd != null) {
                // the seed ISO is this VM's file; a clone gets its own after restore
                vbox.changeDvd(vm, dvd.controller(), dvd.port(), dvd.device(), null);
            }
            emit(progress, machine.name(), "live snapshot of " + machine.name());
            vbox.takeLiveSnapshot(vm, liveSnapshot);
            taken = true;
            emit(progress, machine.name(), "cloning it into template VM " + template);
            templateUuid = vbox.cloneSavedState(vm, liveSnapshot, false, template, templates.folder());
        } catch (VboxmcpException e) {
            failed = e;
        }
        try {
            restoreSource(vm, liveSnapshot, taken, dvd, Path.of(seed.map(VmInfo.Attachment::medium).orElse("")));
        } catch (VboxmcpException e) {
            if (failed == null) {
                failed = e;
            } else {
                failed.addSuppressed(e);
            }
        }
        if (failed != null) {
            deleteTemplate(template, templateUuid, failed);
            throw failed;
        }
        try {
            vbox.takeSnapshot(template, TEMPLATE_SNAPSHOT);
            Descriptor d = new Descriptor(template, templateUuid, TEMPLATE_SNAPSHOT, dvd, templates.digests(template));
            d.write(dir.resolve(ReadyTemplates.DESCRIPTOR));
            return Map.of(ReadyTemplates.DESCRIPTOR, ReadyTemplates.sha256(dir.resolve(ReadyTemplates.DESCRIPTOR)));
        } catch (VboxmcpException | IOException | RuntimeException e) {
            VboxmcpException v = e instanceof VboxmcpException x ? x
                    : new HypervisorException(ErrorCode.IO, "could not record template VM " + template + ": " + e.getMessage(), e);
            deleteTemplate(template, templateUuid, v);
            throw v;
        }
    }

    /** The user's VM gets back exactly what it had: no extra snapshot, its seed ISO. Failures only add up. */
    private void restoreSource(String vm, String liveSnapshot, boolean taken, Dvd dvd, Path iso) throws VboxmcpException {
        VboxmcpException first = null;
        if (taken) {
            try {
                vbox.deleteSnapshot(vm, liveSnapshot);
            } catch (VboxmcpException e) {
                first = e;
            }
        }
        if (dvd != null) {
            try {
                vbox.changeDvd(vm, dvd.controller(), dvd.port(), dvd.device(), iso);
            } catch (VboxmcpException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public Machine restore(MachineSpec spec, Path dir, Map<String, String> digests) throws VboxmcpException {
        VmPlan plan = spec.plan();
        String name = plan.vmName();
        Descriptor d = descriptor(dir, digests);
        Optional<VirtualBoxPort.VmStatus> t = vbox.status(d.template());
        if (t.isEmpty()) {
            throw mismatch("template VM " + d.template() + " is not registered any more");
        }
        if (!"saved".equals(t.get().state())) {
            throw mismatch("template VM " + d.template() + " is " + t.get().state() + ", not saved (was it started?)");
        }
        VirtualBoxDriver.requireAbsent(vbox, name);
        HostForwards.requireExplicitFree(plan.ports());
        // the template's disks and saved state are hashed while the clone is made; nothing runs before they match
        CompletableFuture<Map<String, String>> hashed = CompletableFuture.supplyAsync(() -> {
            try {
                return templates.digests(d.template());
            } catch (VboxmcpException e) {
                throw new CompletionException(e);
            }
        });
        HostForwards fw = null;
        String uuid = null;
        try {
            fw = HostForwards.allocate(ports, plan.ports());
            Path folder = baseFolder != null ? baseFolder : spec.vmDir();
            uuid = vbox.cloneSavedState(d.template(), d.snapshot(), true, name, folder);
            templates.addClone(d.template(), uuid);
            vbox.replaceNatRules(uuid, fw.rules());
            vbox.consoleToFile(uuid, spec.vmDir().resolve(VirtualBoxDriver.CONSOLE_LOG));
            Map<String, String> actual = join(hashed);
            if (!actual.equals(d.files())) {
                throw mismatch("the files of template VM " + d.template() + " do not match their digests: "
                        + differences(d.files(), actual));
            }
            for (int port : fw.forwarded().values()) {
                HostForwards.requireFree(fw.sshHost(), port);
            }
            vbox.start(uuid);
            fw.close();  // VirtualBox holds them now
            Path iso = spec.vmDir().resolve(VirtualBoxDriver.SEED_ISO);
            seeds.write(new CloudInitSeed(spec.instanceId(), CloudInitSeed.hostname(name), spec.sshUser(),
                    spec.sshPublicKey()), iso);
            if (d.dvd() != null) {
                vbox.changeDvd(uuid, d.dvd().controller(), d.dvd().port(), d.dvd().device(), iso);
            }
            return VirtualBoxDriver.recorded(vbox, spec, fw, uuid, TEMPLATE_ATTR, d.template(), true);
        } catch (VboxmcpException | IOException | RuntimeException e) {
            hashed.cancel(true);
            if (fw != null) {
                fw.close();
            }
            undoClone(spec, d.template(), uuid, e);
            if (e instanceof VboxmcpException v) {
                throw v;
            }
            throw new HypervisorException("restoring VirtualBox machine '" + name + "' from template VM "
                    + d.template() + " failed: " + e.getMessage(), e);
        }
    }

    private static Descriptor descriptor(Path dir, Map<String, String> digests) throws VboxmcpException {
        Path file = dir.resolve(ReadyTemplates.DESCRIPTOR);
        String expected = digests.get(ReadyTemplates.DESCRIPTOR);
        try {
            if (expected == null || !Files.isRegularFile(file) || !expected.equals(ReadyTemplates.sha256(file))) {
                throw mismatch(ReadyTemplates.DESCRIPTOR + " is missing or does not match its digest");
            }
            return Descriptor.read(file);
        } catch (IOException e) {
            throw mismatch("unreadable " + ReadyTemplates.DESCRIPTOR + ": " + e.getMessage());
        }
    }

    private static Map<String, String> join(CompletableFuture<Map<String, String>> hashed) throws VboxmcpException {
        try {
            return hashed.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof VboxmcpException v) {
                throw v;
            }
            throw e;
        }
    }

    private static String differences(Map<String, String> expected, Map<String, String> actual) {
        List<String> diff = new java.util.ArrayList<>();
        expected.forEach((f, dg) -> {
            if (!actual.containsKey(f)) {
                diff.add(f + " missing");
            } else if (!actual.get(f).equals(dg)) {
                diff.add(f + " changed");
            }
        });
        actual.keySet().stream().filter(f -> !expected.containsKey(f)).forEach(f -> diff.add(f + " added"));
        return String.join(", ", diff);
    }

    private void undoClone(MachineSpec spec, String template, String uuid, Exception failure) {
        try {
            if (uuid != null) {
                vbox.powerOff(uuid);
                vbox.delete(uuid);
                templates.removeClone(template, uuid);
            }
            VirtualBoxDriver.deleteDriverFiles(spec.vmDir());
        } catch (VboxmcpException | IOException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }

    /**
     * Removes the template VM of the snapshot in {@code dir}, or, while linked clones of it still exist, marks it
     * retired so that the last clone's destroy removes it ({@link #cloneDestroyed}).
     */
    @Override
    public void release(Path dir) throws VboxmcpException {
        Descriptor d;
        try {
            d = Descriptor.read(dir.resolve(ReadyTemplates.DESCRIPTOR));
        } catch (IOException e) {
            return;  // not ours, or nothing was recorded (a failed save removes its own template)
        }
        try {
            templates.retire(d.template());
        } catch (IOException e) {
            throw new HypervisorException(ErrorCode.IO, "could not retire template VM " + d.template(), e);
        }
        removeIfUnused(d.template());
    }

    /** The driver destroyed a restored clone: it no longer holds its template; a retired template may go now. */
    void cloneDestroyed(Machine clone) throws VboxmcpException {
        String template = clone.attributes().get(TEMPLATE_ATTR);
        if (template == null) {
            return;
        }
        try {
            templates.removeClone(template, clone.attributes().getOrDefault("uuid", clone.name()));
        } catch (IOException e) {
            throw new HypervisorException(ErrorCode.IO, "could not update the clones of template VM " + template, e);
        }
        if (templates.retired(template)) {
            removeIfUnused(template);
        }
    }

    /** Deletes the template VM if none of its recorded clones is still registered (stale records are dropped). */
    private void removeIfUnused(String template) throws VboxmcpException {
        try {
            for (String clone : templates.clonesOf(template)) {
                if (vbox.status(clone).isPresent()) {
                    return;
                }
                templates.removeClone(template, clone);
            }
            vbox.delete(template);
            templates.forget(template);
        } catch (IOException e) {
            throw new HypervisorException(ErrorCode.IO, "could not remove template VM " + template + ": "
                    + e.getMessage(), e);
        }
    }

    private void deleteTemplate(String template, String uuid, VboxmcpException failure) {
        try {
            vbox.delete(uuid != null ? uuid : template);
            templates.forget(template);
        } catch (VboxmcpException | IOException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }

    private static VboxmcpException mismatch(String message) {
        return new HypervisorException(ErrorCode.DIGEST_MISMATCH, "VirtualBox ready snapshot: " + message, null);
    }

    private static void emit(ProgressListener p, String vm, String message) {
        VirtualBoxDriver.emit(p, vm, "snapshot", message, Duration.ZERO);
    }
}
