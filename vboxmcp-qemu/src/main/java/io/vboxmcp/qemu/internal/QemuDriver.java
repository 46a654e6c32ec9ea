package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.CloudInitSeed;
import io.vboxmcp.spi.HostPorts;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.SeedWriter;
import io.vboxmcp.spi.support.DriverProgress;
import io.vboxmcp.spi.support.ForwardedPorts;
import io.vboxmcp.spi.support.NinePShares;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The QEMU driver: one {@code qemu-system-x86_64 -daemonize} process per machine, controlled over QMP. Everything
 * the driver knows about a machine is in its VM folder ({@code machine.json} and the files beside it, see
 * {@link MachineFolder}), so {@link #find} works from another process and {@link #destroy} from any state. This
 * class is the SPI verbs; the parts are {@link QemuImg} (disks), {@link BootFirmware},
 * {@link QemuCommandLine}, {@link QemuProcess} (launch, status, the way down) and {@link ForwardedPorts}; host ports and the
 * cloud-init seed come from the provider context ({@link HostPorts}, {@link SeedWriter}), shared by every driver.
 */
final class QemuDriver implements HypervisorDriver {
    static final String ID = "qemu";
    private static final long MIB = 1024L * 1024L;

    private final QemuSettings settings;
    private final HostPorts ports;
    private final SeedWriter seeds;
    private final MachineFolder folder;
    private final QemuImg qemuImg;
    private final QemuCommandLine commandLine;
    private final QemuProcess process;
    private final QemuSnapshots snapshots;
    /** Ports held from create until QEMU has bound them, per VM folder. */
    private final Map<Path, ForwardedPorts> held = new ConcurrentHashMap<>();
    /** The create call's listener, reused for start's events (start has no listener of its own). */
    private final Map<Path, ProgressListener> listeners = new ConcurrentHashMap<>();

    QemuDriver(QemuSettings settings, HostPorts ports, SeedWriter seeds) {
        this.settings = settings;
        this.ports = ports;
        this.seeds = seeds;
        this.folder = new MachineFolder(settings.runtimeDir());
        this.qemuImg = new QemuImg(settings.qemuImg());
        this.commandLine = new QemuCommandLine(settings);
        this.process = new QemuProcess(settings);
        this.snapshots = new QemuSnapshots(this);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Machine create(MachineSpec spec) throws VboxmcpException {
        return create(spec, null);
    }

    /**
     * @param snapshotDisk null to put the new disk over the base image, else the frozen disk of a ready snapshot
     *                     the new disk goes over (a clone)
     */
    Machine create(MachineSpec spec, Path snapshotDisk) throws VboxmcpException {
        VmPlan plan = spec.plan();
        Path vmDir = spec.vmDir().toAbsolutePath().normalize();
        DriverProgress step = new DriverProgress(spec.progress(), plan.vmName(), "qemu.create");
        if (Files.exists(vmDir.resolve(MachineFolder.MACHINE_JSON))) {
            throw new HypervisorException(ErrorCode.VM_EXISTS, "a QEMU machine already exists in " + vmDir, null);
        }
        ForwardedPorts forwarded = null;
        try {
            Files.createDirectories(vmDir);
            BaseImage image = spec.image();
            checkImage(image);
            String firmware = BootFirmware.choose(settings, image);

            step.started("allocating host ports");
            forwarded = ForwardedPorts.reserve(ports, plan.ports());

            long size = Math.max(qemuImg.virtualSize(image), plan.diskMb() * MIB);
            if (snapshotDisk == null) {
                step.info("creating overlay disk on " + image.disk().getFileName());
                qemuImg.createOverlay(image, vmDir.resolve(MachineFolder.DISK), size);
            } else {
                step.info("creating overlay disk on the ready snapshot's disk");
                qemuImg.createOverlayOn(snapshotDisk, vmDir.resolve(MachineFolder.DISK), size);
            }

            step.info("writing cloud-init seed");
            String hostname = hostname(plan.vmName());
            seeds.write(new CloudInitSeed(spec.instanceId(), hostname, spec.sshUser(), spec.sshPublicKey()),
                    vmDir.resolve(MachineFolder.SEED));
            if (BootFirmware.UEFI.equals(firmware)) {
                step.info("UEFI firmware (OVMF " + settings.ovmfCode() + ")");
                BootFirmware.prepare(settings, vmDir);
            }

            MachineRecord m = new MachineRecord(plan.vmName(), ID, spec.instanceId(), hostname, image.reference(),
                    image.disk().toAbsolutePath().toString(), image.digest(), absolute(image.kernel()),
                    absolute(image.initrd()), image.kernelArgs(), firmware, BootFirmware.ovmfCode(firmware, settings),
                    plan.memoryMb(), plan.cpus(), size, forwarded.sshHost(), forwarded.sshPort(), records(forwarded),
                    shares(plan), folder.qmpSocket(vmDir).toString(), null, settings.network().restrict(),
                    settings.network().guestForwards(), settings.network().relay());
            MachineFolder.write(vmDir, m);
            held.put(vmDir, forwarded);
            listeners.put(vmDir, spec.progress());
            step.finished("created (ssh on " + m.sshHost() + ":" + m.sshPort() + ")");
            return m.toMachine(vmDir);
        } catch (VboxmcpException | IOException | RuntimeException e) {
            if (forwarded != null) {
                forwarded.close();
            }
            held.remove(vmDir);
            folder.removeFiles(vmDir);
            step.failed(e.getMessage());
            if (e instanceof VboxmcpException v) {
                throw v;
            }
            throw new HypervisorException("could not create QEMU machine " + plan.vmName() + ": " + e.getMessage(), e);
        }
    }

    private static void checkImage(BaseImage image) throws HypervisorException {
        if (!Files.isRegularFile(image.disk())) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "base image disk " + image.disk() + " does not exist", null);
        }
        if (image.kernel() != null && !Files.isRegularFile(image.kernel())) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "base image kernel " + image.kernel() + " does not exist", null);
        }
        if (image.initrd() != null && !Files.isRegularFile(image.initrd())) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "base image initrd " + image.initrd() + " does not exist", null);
        }
        QemuImg.format(image);
    }

    private static List<MachineRecord.Share> shares(VmPlan plan) throws HypervisorException {
        List<MachineRecord.Share> shares = new ArrayList<>();
        for (PlannedSharedFolder f : plan.sharedFolders()) {
            if (!Files.isDirectory(f.hostPath())) {
                throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "shared folder " + f.name() + ": "
                        + f.hostPath() + " is not a directory", null);
            }
            shares.add(new MachineRecord.Share(f.name(), mountTag(f.name()), f.hostPath().toAbsolutePath().toString(),
                    f.guestPath(), f.readOnly()));
        }
        return shares;
    }

    private static String absolute(Path p) {
        return p == null ? null : p.toAbsolutePath().toString();
    }

    /** The record {@link #create} would write for {@code spec}, without ports or files: the snapshot key's layout. */
    MachineRecord prototype(MachineSpec spec) throws VboxmcpException {
        BaseImage image = spec.image();
        String firmware = BootFirmware.choose(settings, image);
        List<MachineRecord.Port> guestPorts = new ArrayList<>();
        guestPorts.add(new MachineRecord.Port(22, 0, "127.0.0.1"));
        spec.plan().ports().forEach(p -> guestPorts.add(new MachineRecord.Port(p.guestPort(), 0, "127.0.0.1")));
        return new MachineRecord("vm", ID, "-", "vm", image.reference(), "-", image.digest(), absolute(image.kernel()),
                absolute(image.initrd()), image.kernelArgs(), firmware, BootFirmware.ovmfCode(firmware, settings),
                spec.plan().memoryMb(), spec.plan().cpus(), spec.plan().diskMb() * MIB, "127.0.0.1", 0, guestPorts,
                spec.plan().sharedFolders().stream().map(f -> new MachineRecord.Share(f.name(), mountTag(f.name()),
                        "/share/" + mountTag(f.name()), f.guestPath(), f.readOnly())).toList(), "/qmp", null,
                settings.network().restrict(), settings.network().guestForwards(), settings.network().relay());
    }

    QemuSettings settings() {
        return settings;
    }

    QemuCommandLine commandLineBuilder() {
        return commandLine;
    }

    QemuProcess process() {
        return process;
    }

    /** Ports held since create are bound by QEMU now: let the allocator forget them. */
    void releaseHeldPorts(Path vmDir) {
        ForwardedPorts r = held.remove(vmDir);
        if (r != null) {
            r.close();
        }
    }

    @Override
    public Optional<io.vboxmcp.spi.ReadySnapshotSupport> readySnapshots() {
        return Optional.of(snapshots);
    }

    @Override
    public void start(Machine machine) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        MachineRecord m = MachineFolder.read(vmDir).orElseThrow(() -> new HypervisorException(ErrorCode.VM_NOT_FOUND,
                "no QEMU machine in " + vmDir, null));
        if (QemuProcess.pid(vmDir).isPresent()) {
            return;
        }
        DriverProgress step = new DriverProgress(listeners.getOrDefault(vmDir, settings.progress()), machine.name(), "qemu.start");
        step.started("starting qemu");
        // a stale socket or pid file from a crashed QEMU would confuse what follows
        Files2.deleteQuietly(vmDir.resolve(MachineFolder.PID));
        Files2.deleteQuietly(Path.of(m.qmpSocket()));
        Acceleration.Decision decision = Acceleration.of(settings).decide(settings.accel(),
                m.kernel() == null ? null : Path.of(m.kernel()));
        String accel = decision.accel();
        step.info("acceleration: " + accel + " (" + decision.reason() + ")");
        try {
            process.launch(vmDir, machine.name(), commandLine.build(m, vmDir, accel));
            MachineFolder.write(vmDir, m.withAccel(accel));
        } catch (IOException e) {
            step.failed(e.getMessage());
            throw new HypervisorException("could not record the start of " + machine.name() + ": " + e.getMessage(), e);
        } catch (HypervisorException e) {
            step.failed(e.getMessage());
            throw e;
        }
        // QEMU holds the ports now
        ForwardedPorts r = held.remove(vmDir);
        if (r != null) {
            r.close();
        }
        String status = process.status(Path.of(m.qmpSocket())).orElse("unknown");
        step.finished("qemu " + QemuProcess.pid(vmDir).map(String::valueOf).orElse("?") + " " + status + " (" + accel + ")");
    }

    /** The command line of a machine as {@code machine.json} holds it (kept for the unit tests of old records). */
    List<String> commandLine(Map<String, Object> json, Path vmDir, String accel) throws HypervisorException {
        return commandLine.build(Json.MAPPER.convertValue(json, MachineRecord.class), vmDir, accel);
    }

    @Override
    public void stop(Machine machine, Duration grace) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        Optional<Long> pid = QemuProcess.pid(vmDir);
        if (pid.isPresent()) {
            Duration g = grace == null || grace.isNegative() ? settings.powerdownGrace() : grace;
            process.stop(folder.recordedQmpSocket(vmDir), pid.get(), g);
        }
        folder.cleanRuntimeFiles(vmDir);
    }

    @Override
    public VmState state(Machine machine) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        Optional<MachineRecord> m = MachineFolder.read(vmDir);
        if (m.isEmpty()) {
            return QemuProcess.pid(vmDir).isPresent() ? VmState.UNKNOWN : VmState.DESTROYED;
        }
        if (QemuProcess.pid(vmDir).isEmpty()) {
            return VmState.STOPPED;
        }
        return switch (process.status(Path.of(m.get().qmpSocket())).orElse("")) {
            case "running", "paused", "debug", "prelaunch", "inmigrate", "postmigrate", "finish-migrate",
                 "save-vm", "restore-vm", "suspended", "colo" -> VmState.RUNNING;
            case "shutdown" -> VmState.STOPPED;
            case "internal-error", "io-error", "guest-panicked", "watchdog" -> VmState.FAILED;
            default -> VmState.UNKNOWN;
        };
    }

    @Override
    public void destroy(Machine machine) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        QemuProcess.pid(vmDir).ifPresent(p -> process.quitOrKill(folder.recordedQmpSocket(vmDir), p));
        ForwardedPorts r = held.remove(vmDir);
        if (r != null) {
            r.close();
        }
        listeners.remove(vmDir);
        snapshots.closeIdentityPort(vmDir);
        folder.removeFiles(vmDir);
        Optional<Long> left = QemuProcess.pid(vmDir);
        if (left.isPresent()) {
            throw new HypervisorException("QEMU process " + left.get() + " of " + machine.name() + " survived destroy");
        }
    }

    @Override
    public Optional<Machine> find(String name, Path vmDir) throws VboxmcpException {
        return MachineFolder.read(vmDir).filter(m -> name.equals(m.name())).map(m -> m.toMachine(vmDir));
    }

    @Override
    public String guestMountCommand(Machine machine, PlannedSharedFolder folder) {
        return NinePShares.mountCommand(mountTag(folder.name()), folder.guestPath(), folder.readOnly());
    }

    private static List<MachineRecord.Port> records(ForwardedPorts forwarded) {
        return forwarded.forwards().stream().map(f -> new MachineRecord.Port(f.guestPort(), f.hostPort(), f.hostAddress()))
                .toList();
    }

    /** 9p mount tags are at most 31 bytes; unusual names get a digest suffix so two shares never collide. */
    static String mountTag(String name) {
        return NinePShares.mountTag(name);
    }

    @Override
    public String consoleTail(Machine machine, int lines) {
        return Files2.tail(machine.vmDir().resolve(MachineFolder.CONSOLE), lines);
    }

    /** Unix socket paths are limited to ~107 bytes; deep VM folders get a short one under the runtime folder. */
    Path qmpSocket(Path vmDir) {
        return folder.qmpSocket(vmDir);
    }

    static String hostname(String vmName) {
        return CloudInitSeed.hostname(vmName);
    }
}
