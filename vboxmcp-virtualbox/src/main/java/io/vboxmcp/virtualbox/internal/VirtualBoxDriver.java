package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.VmStateException;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.CloudInitSeed;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.HostPorts;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.SeedWriter;
import io.vboxmcp.virtualbox.internal.cli.Sleeper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The VirtualBox {@link HypervisorDriver}. Creates each VM as a clone of its base image's master VM
 * ({@link MasterVms}: one per image digest, with a snapshot {@code base}, so the second VM from a template is a linked
 * clone made in about a second, as Vagrant does). Then sets memory and CPUs, grows the disk (full clones only),
 * forwards the guest's SSH and template ports from 127.0.0.1 through NAT, adds shared folders, and attaches a
 * cloud-init NoCloud seed ISO carrying the per-VM SSH key. Host ports and the seed come from the provider context
 * ({@link HostPorts}, {@link SeedWriter}), the same rules as every driver's; a port is held from create until
 * VirtualBox binds it at start (or the machine is destroyed).
 */
public final class VirtualBoxDriver implements HypervisorDriver {
    public static final String ID = "virtualbox";
    public static final String SNAPSHOT = "base";
    static final String SEED_ISO = "seed.iso";
    static final String CONSOLE_LOG = "console.log";

    private final VirtualBoxPort vbox;
    private final MasterVms masters;
    private final Path baseFolder;
    private final boolean linkedClones;
    private final HostPorts ports;
    private final SeedWriter seeds;
    private final Sleeper sleeper;
    /** Host ports held from create until start (VirtualBox binds them then) or destroy, by machine name. */
    private final Map<String, List<HostPort>> held = new ConcurrentHashMap<>();
    private final Duration pollInterval;
    private final VirtualBoxReadySnapshots ready;

    /**
     * @param baseFolder     null: each VM's VirtualBox folder goes under its vboxmcp folder
     * @param masterOverride null: one master per image digest ({@link #masterName}); else always clone this VM
     * @param vdis           converts qcow2 and raw images to VDI for new masters
     */
    public VirtualBoxDriver(VirtualBoxPort vbox, Path masterFolder, Path baseFolder, boolean linkedClones,
                            HostPorts ports, SeedWriter seeds, Sleeper sleeper, Duration pollInterval,
                            String masterOverride, VdiCache vdis) {
        this(vbox, masterFolder, baseFolder, linkedClones, ports, seeds, sleeper, pollInterval, masterOverride, vdis,
                () -> java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 16));
    }

    /** @param readyIds a new ready-snapshot template id (hex) per save */
    VirtualBoxDriver(VirtualBoxPort vbox, Path masterFolder, Path baseFolder, boolean linkedClones, HostPorts ports,
                     SeedWriter seeds, Sleeper sleeper, Duration pollInterval, String masterOverride, VdiCache vdis,
                     java.util.function.Supplier<String> readyIds) {
        this.ready = new VirtualBoxReadySnapshots(vbox, new ReadyTemplates(masterFolder.resolve("ready")), baseFolder,
                ports, seeds, readyIds);
        this.vbox = vbox;
        this.masters = new MasterVms(vbox, masterFolder, masterOverride, vdis);
        this.baseFolder = baseFolder;
        this.linkedClones = linkedClones;
        this.ports = ports;
        this.seeds = seeds;
        this.sleeper = sleeper;
        this.pollInterval = pollInterval;
    }

    @Override
    public String id() {
        return ID;
    }

    /**
     * Only the VBoxManage adapter can snapshot (the web-service adapter lacks the calls); see
     * {@link VirtualBoxReadySnapshots}. Never run against a real VirtualBox yet.
     */
    @Override
    public Optional<io.vboxmcp.spi.ReadySnapshotSupport> readySnapshots() {
        return "vboxmanage".equals(vbox.adapterId()) ? Optional.of(ready) : Optional.empty();
    }

    /** @return the name of the master VM for a base image */
    public static String masterName(BaseImage image) {
        return MasterVms.masterName(image);
    }

    @Override
    public Machine create(MachineSpec spec) throws VboxmcpException {
        VmPlan plan = spec.plan();
        String name = plan.vmName();
        long started = System.nanoTime();
        vbox.version();  // an unsupported VirtualBox is refused before anything else
        requireAbsent(vbox, name);
        HostForwards.requireExplicitFree(plan.ports());
        HostForwards fw = null;
        String uuid = null;
        try {
            String master = masters.ensure(spec, m -> progress(spec, started, m));
            OptionalLong capacity = vbox.primaryDiskCapacityMb(master);
            boolean grow = capacity.isPresent() && capacity.getAsLong() < plan.diskMb();
            boolean linked = linkedClones && !grow;
            Path folder = baseFolder != null ? baseFolder : spec.vmDir();
            progress(spec, started, (linked ? "linked" : "full") + " clone of " + master);
            uuid = vbox.cloneVm(master, SNAPSHOT, linked, name, folder);
            vbox.setResources(uuid, plan.memoryMb(), plan.cpus());
            if (grow) {
                progress(spec, started, "growing the disk to " + plan.diskMb() + " MB");
                vbox.resizePrimaryDisk(uuid, plan.diskMb());
            } else if (capacity.isEmpty()) {
                progress(spec, started, "the " + vbox.adapterId() + " adapter cannot resize disks; the disk keeps "
                        + "the template's size");
            }
            fw = HostForwards.allocate(ports, plan.ports());
            vbox.replaceForwards(uuid, fw.rules());
            for (PlannedSharedFolder f : plan.sharedFolders()) {
                vbox.addSharedFolder(uuid, f.name(), f.hostPath(), f.readOnly());
            }
            Path iso = spec.vmDir().resolve(SEED_ISO);
            seeds.write(new CloudInitSeed(spec.instanceId(), CloudInitSeed.hostname(name), spec.sshUser(),
                    spec.sshPublicKey()), iso);
            vbox.attachDvd(uuid, iso);
            vbox.serialConsoleToFile(uuid, spec.vmDir().resolve(CONSOLE_LOG));
            Machine m = recorded(vbox, spec, fw, uuid, "master", master, linked);
            held.put(name, fw.held());
            progress(spec, started, "created " + name + " {" + uuid + "}, SSH on " + fw.sshHost() + ":" + fw.sshPort());
            return m;
        } catch (VboxmcpException | IOException | RuntimeException e) {
            if (fw != null) {
                fw.close();
            }
            String target = uuid != null ? uuid : name;
            try {
                if (uuid != null || vbox.status(name).isPresent()) {
                    vbox.delete(target);
                }
                deleteDriverFiles(spec.vmDir());
            } catch (VboxmcpException | IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof VboxmcpException v) {
                throw v;
            }
            throw new HypervisorException("creating VirtualBox machine '" + name + "' failed: " + e.getMessage(), e);
        }
    }

    /** Deletes what the driver writes into a VM's folder: the seed ISO, the console log and its record. */
    static void deleteDriverFiles(Path vmDir) throws IOException {
        Files.deleteIfExists(vmDir.resolve(SEED_ISO));
        Files.deleteIfExists(vmDir.resolve(CONSOLE_LOG));
        MachineRecord.delete(vmDir);
    }

    /** @return the machine, recorded in its folder so that {@link #find} works in another process */
    static Machine recorded(VirtualBoxPort vbox, MachineSpec spec, HostForwards fw, String uuid, String originKey,
                            String origin, boolean linked) throws VboxmcpException, IOException {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("uuid", uuid);
        attrs.put(originKey, origin);
        attrs.put("linkedClone", String.valueOf(linked));
        attrs.put("adapter", vbox.adapterId());
        attrs.put("virtualboxVersion", vbox.version().toString());
        Machine m = new Machine(spec.plan().vmName(), ID, spec.vmDir(), fw.sshHost(), fw.sshPort(), fw.forwarded(),
                attrs);
        MachineRecord.write(m);
        return m;
    }

    /** @throws VmStateException {@code VM_EXISTS} if a machine of that name is registered */
    static void requireAbsent(VirtualBoxPort vbox, String name) throws VboxmcpException {
        if (vbox.status(name).isPresent()) {
            throw new VmStateException(ErrorCode.VM_EXISTS, "a VirtualBox machine named '" + name
                    + "' already exists; choose another name or remove it", null);
        }
    }

    @Override
    public void start(Machine machine) throws VboxmcpException {
        String vm = ref(machine);
        VirtualBoxPort.VmStatus s = vbox.status(vm).orElseThrow(() -> new VmStateException(ErrorCode.VM_NOT_FOUND,
                "VirtualBox machine '" + machine.name() + "' does not exist", null));
        if (s.active()) {
            return;
        }
        List<Integer> hostPorts = new ArrayList<>(machine.ports().values());
        if (!hostPorts.contains(machine.sshPort())) {
            hostPorts.add(machine.sshPort());
        }
        for (int port : hostPorts) {
            HostForwards.requireFree(machine.sshHost(), port);
        }
        vbox.start(vm);
        release(machine);
    }

    private void release(Machine machine) {
        List<HostPort> h = held.remove(machine.name());
        if (h != null) {
            h.forEach(HostPort::close);
        }
    }

    @Override
    public void stop(Machine machine, Duration grace) throws VboxmcpException {
        String vm = ref(machine);
        Optional<VirtualBoxPort.VmStatus> s = vbox.status(vm);
        if (s.isEmpty() || !s.get().active()) {
            return;
        }
        if ("running".equals(s.get().state())) {
            try {
                vbox.acpiShutdown(vm);
            } catch (HypervisorException e) {
                // it may have stopped between the two calls; the poll below decides
            }
            if (waitInactive(vm, grace)) {
                return;
            }
        }
        vbox.powerOff(vm);
        waitInactive(vm, Duration.ofSeconds(30));
    }

    /** @return whether the machine left every active state (or vanished) within {@code limit} */
    private boolean waitInactive(String vm, Duration limit) throws VboxmcpException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            Optional<VirtualBoxPort.VmStatus> s = vbox.status(vm);
            if (s.isEmpty() || !s.get().active()) {
                return true;
            }
            if (System.nanoTime() >= deadline) {
                return false;
            }
            try {
                sleeper.sleep(pollInterval);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HypervisorException(ErrorCode.CANCELLED, "interrupted while waiting for " + vm + " to stop", e);
            }
        }
    }

    @Override
    public void destroy(Machine machine) throws VboxmcpException {
        String vm = ref(machine);
        Optional<VirtualBoxPort.VmStatus> s = vbox.status(vm);
        if (s.isPresent()) {
            if (s.get().active()) {
                vbox.powerOff(vm);
                waitInactive(vm, Duration.ofSeconds(30));
            }
            vbox.delete(vm);
        }
        release(machine);
        ready.cloneDestroyed(machine);  // only a restored clone names a template; the template itself is not touched
        try {
            Files.deleteIfExists(machine.vmDir().resolve(SEED_ISO));
            Files.deleteIfExists(machine.vmDir().resolve(CONSOLE_LOG));
            Path vmFolder = (baseFolder != null ? baseFolder : machine.vmDir()).resolve(machine.name());
            if (Files.isDirectory(vmFolder)) {
                try (Stream<Path> left = Files.list(vmFolder)) {
                    if (left.findAny().isEmpty()) {
                        Files.delete(vmFolder);
                    }
                }
            }
            MachineRecord.delete(machine.vmDir());
        } catch (IOException e) {
            throw new HypervisorException(ErrorCode.IO, "could not remove the driver files of " + machine.name(), e);
        }
    }

    @Override
    public VmState state(Machine machine) throws VboxmcpException {
        return vbox.status(ref(machine)).map(s -> map(s.state())).orElse(VmState.DESTROYED);
    }

    static VmState map(String vboxState) {
        return switch (vboxState) {
            case "running", "paused", "starting", "stopping", "saving", "restoring", "teleporting",
                 "teleportingpausedvm", "teleportingin", "livesnapshotting", "onlinesnapshotting",
                 "deletingsnapshotlive", "deletingsnapshotlivepaused" -> VmState.RUNNING;
            case "poweroff", "aborted", "saved", "aborted-saved", "teleported" -> VmState.STOPPED;
            case "gurumeditation" -> VmState.FAILED;
            default -> VmState.UNKNOWN;
        };
    }

    @Override
    public Optional<Machine> find(String name, Path vmDir) throws VboxmcpException {
        try {
            return MachineRecord.read(ID, vmDir).filter(m -> m.name().equals(name));
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new HypervisorException(ErrorCode.IO, "could not read the VirtualBox state of " + name + " in " + vmDir, e);
        }
    }

    @Override
    public String guestMountCommand(Machine machine, PlannedSharedFolder folder) {
        return "mkdir -p " + quote(folder.guestPath()) + " && mount -t vboxsf -o " + (folder.readOnly() ? "ro" : "rw")
                + " " + quote(folder.name()) + " " + quote(folder.guestPath());
    }

    @Override
    public String consoleTail(Machine machine, int lines) {
        Path log = machine.vmDir().resolve(CONSOLE_LOG);
        try {
            if (!Files.isRegularFile(log)) {
                return "";
            }
            List<String> all = List.of(new String(Files.readAllBytes(log), StandardCharsets.UTF_8).split("\r?\n"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() throws VboxmcpException {
        vbox.close();
    }

    private static String ref(Machine m) {
        return m.attributes().getOrDefault("uuid", m.name());
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private void progress(MachineSpec spec, long started, String message) {
        emit(spec.progress(), spec.plan().vmName(), "create", message, Duration.ofNanos(System.nanoTime() - started));
    }

    static void emit(io.vboxmcp.ProgressListener p, String vm, String step, String message, Duration elapsed) {
        try {
            p.onEvent(new ProgressEvent(ProgressEvent.Kind.INFO, vm, step, message, -1, -1, elapsed));
        } catch (RuntimeException ignored) {
            // listeners must not throw; if one does, the driver goes on
        }
    }
}
