package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.libvirt.LibvirtException;
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
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The libvirt driver: one persistent libvirt domain per machine, its disk a qcow2 overlay in the driver's storage
 * pool on a base image uploaded once per digest. Everything it knows about a machine is in {@code libvirt.json} in
 * the VM folder ({@link DomainRecord}), written before any libvirt object exists, so {@link #destroy} removes a
 * machine in any state, from any process. The parts: {@link Virsh} (the only way to libvirt),
 * {@link StoragePool}, {@link DomainXml}, {@link ForwardedPorts}; host ports and the cloud-init seed come from the provider
 * context ({@link HostPorts}, {@link SeedWriter}), shared by every driver.
 */
final class LibvirtDriver implements HypervisorDriver {
    static final String ID = "libvirt";
    private static final long MIB = 1024L * 1024L;
    private static final long CONSOLE_TAIL_BYTES = 64 * 1024;

    private final LibvirtSettings settings;
    private final Virsh virsh;
    private final StoragePool pool;
    /** Ports held from create until libvirt's QEMU has bound them, per VM folder. */
    private final HostPorts hostPorts;
    private final SeedWriter seedWriter;
    private final Map<Path, ForwardedPorts> held = new ConcurrentHashMap<>();
    /** The create call's listener, reused for start's events (start has no listener of its own). */
    private final Map<Path, ProgressListener> listeners = new ConcurrentHashMap<>();
    /** The SSH jump to the guests' forwards for qemu+ssh:// connections, else null. */
    private final SshTunnels tunnels;

    LibvirtDriver(LibvirtSettings settings, HostPorts hostPorts, SeedWriter seedWriter) {
        this.settings = settings;
        this.tunnels = settings.jump() == null ? null : new SshTunnels(settings.jump(), settings.timeout(), hostPorts);
        this.hostPorts = hostPorts;
        this.seedWriter = seedWriter;
        this.virsh = new Virsh(settings);
        this.pool = new StoragePool(settings, virsh);
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Machine create(MachineSpec spec) throws VboxmcpException {
        VmPlan plan = spec.plan();
        Path vmDir = spec.vmDir().toAbsolutePath().normalize();
        DriverProgress step = new DriverProgress(spec.progress(), plan.vmName(), ID + ".create");
        if (Files.exists(vmDir.resolve(DomainRecord.FILE))) {
            throw new HypervisorException(ErrorCode.VM_EXISTS, "a libvirt machine already exists in " + vmDir, null);
        }
        BaseImage image = spec.image();
        CreateInputs.checkImage(image);
        List<DomainRecord.Share> shares = CreateInputs.shares(plan, settings);
        String domain = DomainRecord.domainName(plan.vmName(), vmDir);
        Deque<Undo> undo = new ArrayDeque<>();
        try {
            step.started("connecting to " + settings.uri());
            String target = pool.ensure();
            // a domain or volume of these names made by someone else fails its own step with ALREADY_EXISTS
            // (VM_EXISTS) before this create registers an undo for it, so nothing of theirs is removed
            ForwardedPorts ports = ForwardedPorts.reserve(hostPorts, plan.ports());
            undo.push(ports::close);
            if (tunnels != null) {
                step.info("forwarding the guest's ports through the SSH jump " + settings.jump());
                tunnels.open(vmDir, ports.sshHost(), ports.ports());
                undo.push(() -> tunnels.close(vmDir));
            }

            String hostname = CloudInitSeed.hostname(plan.vmName());
            String base = "vboxmcp-base-" + image.digest().replace(':', '-');
            String kernel = image.kernel() == null ? null : sharedName("kernel", image.kernel());
            String initrd = image.initrd() == null || kernel == null ? null : sharedName("initrd", image.initrd());
            long size = Math.max(StoragePool.virtualSize(image.disk(), image.diskFormat()), plan.diskMb() * MIB);
            DomainRecord r = new DomainRecord(plan.vmName(), ID, settings.uri(), pool.name(), domain, spec.instanceId(),
                    hostname, image.reference(), base, image.diskFormat(), kernel, initrd,
                    kernel == null ? null : image.kernelArgs(), image.firmware().requiresUefi(), domain + "-disk.qcow2",
                    domain + "-seed.iso", domain + "-console.log", plan.memoryMb(), plan.cpus(), size,
                    ports.sshHost(), ports.ports().get(22), ports.ports(), shares);
            Files.createDirectories(vmDir);
            r.write(vmDir);
            undo.push(() -> removeFiles(vmDir));

            step.info("base image " + image.reference() + " in pool " + pool.name() + " (upload once per digest, "
                    + "read back and verified on every use)");
            if (pool.ensureShared(base, image.disk(), image.digest())) {
                step.info("uploaded " + image.disk().getFileName() + " as " + base);
            }
            if (kernel != null) {
                pool.ensureShared(kernel, image.kernel(), StoragePool.sha256(image.kernel()));
            }
            if (initrd != null) {
                pool.ensureShared(initrd, image.initrd(), StoragePool.sha256(image.initrd()));
            }
            step.info("creating overlay " + r.diskVolume() + " (" + size / MIB + " MiB)");
            pool.createOverlay(r.diskVolume(), size, base, image.diskFormat());
            undo.push(() -> pool.delete(r.diskVolume()));

            // an empty volume the serial port writes into: the console log is a volume from the start, so destroy
            // and consoleTail need no pool refresh to find it
            virsh.run("create volume " + r.consoleVolume(), "vol-create-as", pool.name(), r.consoleVolume(), "0",
                    "--format", "raw");
            undo.push(() -> pool.delete(r.consoleVolume()));

            step.info("writing and uploading the cloud-init seed");
            Path iso = vmDir.resolve(DomainRecord.SEED_ISO);
            seedWriter.write(new CloudInitSeed(spec.instanceId(), hostname, spec.sshUser(), spec.sshPublicKey()), iso);
            pool.upload(r.seedVolume(), iso, StoragePool.size(iso));
            undo.push(() -> pool.delete(r.seedVolume()));

            String xml = DomainXml.build(r, settings.domainType(), settings.machine(), target + "/" + r.consoleVolume(),
                    kernel == null ? null : pool.path(kernel), initrd == null ? null : pool.path(initrd));
            Path xmlFile = vmDir.resolve(DomainRecord.DOMAIN_XML);
            Files.writeString(xmlFile, xml);
            virsh.run("define domain " + domain, "define", xmlFile.toString());
            undo.push(() -> virsh.runIfPresent("undefine domain " + domain, "undefine", domain));

            held.put(vmDir, ports);
            listeners.put(vmDir, spec.progress());
            Machine m = machine(r, vmDir);
            step.finished("defined " + domain + " (" + settings.domainType() + ", ssh on " + r.sshHost() + ":"
                    + r.sshPort() + (tunnels == null ? "" : ", reached through the jump at " + m.sshHost() + ":"
                    + m.sshPort()) + ")");
            return m;
        } catch (VboxmcpException | IOException | RuntimeException e) {
            undoAll(undo, e);
            step.failed(e.getMessage());
            if (e instanceof VboxmcpException v) {
                throw v;
            }
            throw new HypervisorException("could not create libvirt machine " + plan.vmName() + ": " + e.getMessage(), e);
        }
    }

    /** One thing a create made, and how to remove it. */
    @FunctionalInterface
    private interface Undo {
        void run() throws VboxmcpException;
    }

    private static void undoAll(Deque<Undo> undo, Exception failure) {
        while (!undo.isEmpty()) {
            try {
                undo.pop().run();
            } catch (VboxmcpException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private static String sharedName(String kind, Path file) throws HypervisorException {
        return "vboxmcp-" + kind + "-" + StoragePool.sha256(file).replace(':', '-');
    }

    @Override
    public void start(Machine machine) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        DomainRecord r = record(vmDir);
        if (isActive(domState(r.domain()))) {
            return;
        }
        DriverProgress step = new DriverProgress(listeners.getOrDefault(vmDir, settings.progress()), machine.name(),
                ID + ".start");
        step.started("starting " + r.domain() + " on " + settings.uri());
        ForwardedPorts ports = held.remove(vmDir);
        // libvirt's QEMU binds the forwarded ports itself: our reservation must end just before it starts
        if (ports != null) {
            ports.close();
        }
        try {
            virsh.run("start domain " + r.domain(), "start", r.domain());
        } catch (HypervisorException e) {
            step.failed(e.getMessage());
            throw e;
        }
        step.finished(r.domain() + " " + domState(r.domain()));
    }

    @Override
    public void stop(Machine machine, Duration grace) throws VboxmcpException {
        Optional<DomainRecord> r = ours(DomainRecord.read(machine.vmDir()));
        if (r.isEmpty() || !isActive(domState(r.get().domain()))) {
            return;
        }
        String domain = r.get().domain();
        Duration g = grace == null || grace.isNegative() ? settings.powerdownGrace() : grace;
        try {
            virsh.run("shut down domain " + domain, "shutdown", domain);
        } catch (LibvirtException e) {
            // already going down or gone; the power-off below settles it
        }
        long deadline = System.nanoTime() + g.toNanos();
        try {
            while (System.nanoTime() < deadline && isActive(domState(domain))) {
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(ErrorCode.CANCELLED, "stop of " + machine.name() + " interrupted", e);
        }
        powerOff(domain);
    }

    /** Forces the domain off; "not running" and "no such domain" are success. */
    private void powerOff(String domain) throws HypervisorException {
        try {
            virsh.runIfPresent("power off domain " + domain, "destroy", domain);
        } catch (LibvirtException e) {
            if (!e.getMessage().contains("domain is not running")) {
                throw e;
            }
        }
    }

    @Override
    public VmState state(Machine machine) throws VboxmcpException {
        Optional<DomainRecord> r = DomainRecord.read(machine.vmDir());
        if (r.isEmpty()) {
            return VmState.DESTROYED;
        }
        if (!r.get().uri().equals(settings.uri())) {
            return VmState.UNKNOWN;
        }
        return switch (domState(r.get().domain())) {
            case "running", "paused", "idle", "blocked", "in shutdown", "pmsuspended" -> VmState.RUNNING;
            case "shut off" -> VmState.STOPPED;
            case "crashed" -> VmState.FAILED;
            case "" -> VmState.FAILED; // the record says it exists, libvirt does not know it
            default -> VmState.UNKNOWN;
        };
    }

    /** @return virsh's state word ({@code running}, {@code shut off}, ...), empty if the domain does not exist */
    private String domState(String domain) throws HypervisorException {
        try {
            return virsh.run("read state of " + domain, "domstate", domain).strip().toLowerCase(Locale.ROOT);
        } catch (LibvirtException e) {
            if (e.kind() == LibvirtException.Kind.NOT_FOUND) {
                return "";
            }
            throw e;
        }
    }

    private static boolean isActive(String state) {
        return !state.isEmpty() && !state.equals("shut off") && !state.equals("crashed");
    }

    @Override
    public void destroy(Machine machine) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        ForwardedPorts ports = held.remove(vmDir);
        if (ports != null) {
            ports.close();
        }
        listeners.remove(vmDir);
        if (tunnels != null) {
            tunnels.close(vmDir);
        }
        Optional<DomainRecord> rec = ours(DomainRecord.read(vmDir));
        if (rec.isEmpty()) {
            removeFiles(vmDir);
            return;
        }
        DomainRecord r = rec.get();
        powerOff(r.domain());
        if (r.uefi()) {
            virsh.runIfPresent("undefine domain " + r.domain(), "undefine", r.domain(), "--nvram");
        } else {
            virsh.runIfPresent("undefine domain " + r.domain(), "undefine", r.domain());
        }
        for (String v : r.ownVolumes()) {
            pool.delete(v);
        }
        if (!domState(r.domain()).isEmpty()) {
            throw new HypervisorException("libvirt domain " + r.domain() + " of " + machine.name() + " survived destroy");
        }
        removeFiles(vmDir);
    }

    private static void removeFiles(Path vmDir) {
        try {
            for (String f : List.of(DomainRecord.SEED_ISO, DomainRecord.DOMAIN_XML, DomainRecord.FILE + ".tmp",
                    DomainRecord.FILE)) {
                Files.deleteIfExists(vmDir.resolve(f));
            }
            try (var s = Files.list(vmDir)) {
                if (s.findAny().isEmpty()) {
                    Files.deleteIfExists(vmDir);
                }
            }
        } catch (IOException e) {
            // the folder is the manager's; leaving it is harmless
        }
    }

    @Override
    public Optional<Machine> find(String name, Path vmDir) {
        return DomainRecord.read(vmDir).filter(r -> name.equals(r.name())).map(r -> {
            try {
                return machine(r, vmDir);
            } catch (LibvirtException e) {
                // find cannot fail: the handle names the forwards on the libvirt host, and reaching them times out
                // with that address; the jump's failure goes to the progress listener
                new DriverProgress(settings.progress(), name, ID + ".find").failed(e.getMessage());
                return r.toMachine(vmDir);
            }
        });
    }

    /**
     * The handle core reaches the guest through: the forwards themselves on a local connection, or for
     * {@code qemu+ssh://} the local ends of the SSH jump through the libvirt host (opened once per process).
     */
    private Machine machine(DomainRecord r, Path vmDir) throws LibvirtException {
        if (tunnels == null || !r.uri().equals(settings.uri())) {
            return r.toMachine(vmDir);
        }
        String bound = r.sshHost().equals("0.0.0.0") ? "127.0.0.1" : r.sshHost();
        return r.toMachine(vmDir, "127.0.0.1", tunnels.open(vmDir, bound, r.ports()));
    }

    @Override
    public void close() {
        if (tunnels != null) {
            tunnels.close();
        }
    }

    private DomainRecord record(Path vmDir) throws HypervisorException {
        return ours(DomainRecord.read(vmDir)).orElseThrow(() -> new HypervisorException(ErrorCode.VM_NOT_FOUND,
                "no libvirt machine in " + vmDir, null));
    }

    /**
     * A machine made through another connection (a home shared by managers of different hosts) is refused, never
     * looked up here: a domain of the same name on this connection would be someone else's.
     */
    private Optional<DomainRecord> ours(Optional<DomainRecord> r) throws HypervisorException {
        if (r.isPresent() && (!r.get().uri().equals(settings.uri()) || !r.get().pool().equals(settings.pool()))) {
            throw new HypervisorException("machine " + r.get().name() + " was made on " + r.get().uri() + " (pool "
                    + r.get().pool() + "); this driver is configured for " + settings.uri() + " (pool " + settings.pool()
                    + "): use a manager configured for that connection");
        }
        return r;
    }

    @Override
    public String guestMountCommand(Machine machine, PlannedSharedFolder folder) {
        return NinePShares.mountCommand(NinePShares.mountTag(folder.name()), folder.guestPath(), folder.readOnly());
    }

    /** The last lines of the serial console, read from the pool (so it works for remote hosts too). */
    @Override
    public String consoleTail(Machine machine, int lines) {
        try {
            return pool.tail(record(machine.vmDir()).consoleVolume(), CONSOLE_TAIL_BYTES, lines);
        } catch (VboxmcpException | RuntimeException e) {
            return "";
        }
    }
}
