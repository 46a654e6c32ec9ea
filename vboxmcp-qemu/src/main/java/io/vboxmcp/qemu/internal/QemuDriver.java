package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The QEMU driver: one {@code qemu-system-x86_64 -daemonize} process per machine, controlled over QMP. Everything
 * the driver knows about a machine is in its VM folder ({@code machine.json} and the files beside it), so
 * {@link #find} works from another process and {@link #destroy} from any state.
 */
final class QemuDriver implements HypervisorDriver {
    static final String ID = "qemu";
    static final String MACHINE_JSON = "machine.json";
    static final String DISK = "disk.qcow2";
    static final String SEED = "seed.iso";
    static final String CONSOLE = "console.log";
    static final String PID = "qemu.pid";
    static final String LOG = "qemu.log";
    private static final int UNIX_PATH_MAX = 100;
    private static final long MIB = 1024L * 1024L;

    private final QemuSettings settings;
    private final PortAllocator ports;
    /** Ports held from create until QEMU has bound them, per VM folder. */
    private final Map<Path, List<PortAllocator.Reservation>> held = new ConcurrentHashMap<>();
    /** The create call's listener, reused for start's events (start has no listener of its own). */
    private final Map<Path, ProgressListener> listeners = new ConcurrentHashMap<>();

    QemuDriver(QemuSettings settings) {
        this.settings = settings;
        this.ports = new PortAllocator(settings.portLockDir());
    }

    @Override
    public String id() {
        return ID;
    }

    // ---------------------------------------------------------------------------------------------- create

    @Override
    public Machine create(MachineSpec spec) throws VboxmcpException {
        VmPlan plan = spec.plan();
        Path vmDir = spec.vmDir().toAbsolutePath().normalize();
        Step step = new Step(spec.progress(), plan.vmName(), "create");
        if (Files.exists(vmDir.resolve(MACHINE_JSON))) {
            throw new HypervisorException(ErrorCode.VM_EXISTS, "a QEMU machine already exists in " + vmDir, null);
        }
        List<PortAllocator.Reservation> reservations = new ArrayList<>();
        try {
            Files.createDirectories(vmDir);
            BaseImage image = spec.image();
            checkImage(image);
            String firmware = BootFirmware.choose(settings, image);

            step.started("allocating host ports");
            Map<Integer, Integer> portMap = new LinkedHashMap<>();
            List<Map<String, Object>> portJson = new ArrayList<>();
            String sshHost = "127.0.0.1";
            List<PortForward> forwards = new ArrayList<>(plan.ports());
            if (forwards.stream().noneMatch(p -> p.guestPort() == 22)) {
                forwards.add(0, new PortForward(22, 0, "127.0.0.1"));
            }
            for (PortForward f : forwards) {
                if (portMap.containsKey(f.guestPort())) {
                    continue;
                }
                PortAllocator.Reservation r;
                if (f.hostPort() == 0) {
                    r = ports.allocate(f.hostAddress());
                } else {
                    r = ports.reserve(f.hostAddress(), f.hostPort());
                    if (r == null) {
                        throw new HypervisorException("host port " + f.hostAddress() + ":" + f.hostPort()
                                + " (for guest port " + f.guestPort() + ") is already in use");
                    }
                }
                reservations.add(r);
                portMap.put(f.guestPort(), r.port());
                portJson.add(Map.of("guest", f.guestPort(), "host", r.port(), "address", f.hostAddress()));
                if (f.guestPort() == 22) {
                    sshHost = f.hostAddress();
                }
            }

            step.info("creating overlay disk on " + image.disk().getFileName());
            long baseSize = virtualSize(image);
            long size = Math.max(baseSize, plan.diskMb() * MIB);
            Path disk = vmDir.resolve(DISK);
            exec(List.of(settings.qemuImg(), "create", "-q", "-f", "qcow2", "-b", image.disk().toAbsolutePath().toString(),
                    "-F", format(image), disk.toString(), Long.toString(size)), Duration.ofSeconds(60), "qemu-img create");

            step.info("writing cloud-init seed");
            String hostname = hostname(plan.vmName());
            new SeedIso(settings.isoTool()).write(vmDir.resolve(SEED), vmDir.resolve(".seed"), spec.instanceId(),
                    hostname, spec.sshUser(), spec.sshPublicKey());
            if (BootFirmware.UEFI.equals(firmware)) {
                step.info("UEFI firmware (OVMF " + settings.ovmfCode() + ")");
                BootFirmware.prepare(settings, vmDir);
            }

            List<Map<String, Object>> shares = new ArrayList<>();
            for (PlannedSharedFolder f : plan.sharedFolders()) {
                if (!Files.isDirectory(f.hostPath())) {
                    throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "shared folder " + f.name() + ": "
                            + f.hostPath() + " is not a directory", null);
                }
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("name", f.name());
                s.put("tag", mountTag(f.name()));
                s.put("hostPath", f.hostPath().toAbsolutePath().toString());
                s.put("guestPath", f.guestPath());
                s.put("readOnly", f.readOnly());
                shares.add(s);
            }

            Map<String, Object> json = new LinkedHashMap<>();
            json.put("name", plan.vmName());
            json.put("driver", ID);
            json.put("instanceId", spec.instanceId());
            json.put("hostname", hostname);
            json.put("image", image.reference());
            json.put("baseDisk", image.disk().toAbsolutePath().toString());
            json.put("baseDigest", image.digest());
            json.put("kernel", image.kernel() == null ? null : image.kernel().toAbsolutePath().toString());
            json.put("initrd", image.initrd() == null ? null : image.initrd().toAbsolutePath().toString());
            json.put("kernelArgs", image.kernelArgs());
            BootFirmware.record(json, firmware, settings);
            json.put("memoryMb", plan.memoryMb());
            json.put("cpus", plan.cpus());
            json.put("diskBytes", size);
            json.put("sshHost", sshHost);
            json.put("sshPort", portMap.get(22));
            json.put("ports", portJson);
            json.put("shares", shares);
            json.put("qmpSocket", qmpSocket(vmDir).toString());
            Files2.writeAtomically(vmDir.resolve(MACHINE_JSON), MiniJson.write(json) + "\n");
            held.put(vmDir, reservations);
            listeners.put(vmDir, spec.progress());
            Machine m = toMachine(json, vmDir);
            step.finished("created (ssh on " + sshHost + ":" + m.sshPort() + ")");
            return m;
        } catch (VboxmcpException | IOException | RuntimeException e) {
            reservations.forEach(PortAllocator.Reservation::close);
            held.remove(vmDir);
            removeFiles(vmDir);
            step.failed(e.getMessage());
            if (e instanceof VboxmcpException v) {
                throw v;
            }
            throw new HypervisorException("could not create QEMU machine " + plan.vmName() + ": " + e.getMessage(), e);
        }
    }

    private void checkImage(BaseImage image) throws HypervisorException {
        if (!Files.isRegularFile(image.disk())) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "base image disk " + image.disk() + " does not exist", null);
        }
        if (image.kernel() != null && !Files.isRegularFile(image.kernel())) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "base image kernel " + image.kernel() + " does not exist", null);
        }
        if (image.initrd() != null && !Files.isRegularFile(image.initrd())) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "base image initrd " + image.initrd() + " does not exist", null);
        }
        format(image);
    }

    private static String format(BaseImage image) throws HypervisorException {
        String f = image.diskFormat().toLowerCase(Locale.ROOT);
        return switch (f) {
            case "qcow2", "raw", "vmdk", "vdi", "vhdx" -> f;
            default -> throw new HypervisorException(ErrorCode.INVALID_ARGUMENT,
                    "QEMU cannot boot a " + image.diskFormat() + " base image directly", null);
        };
    }

    private long virtualSize(BaseImage image) throws VboxmcpException {
        String out = exec(List.of(settings.qemuImg(), "info", "-U", "--output=json", "-f", format(image),
                image.disk().toAbsolutePath().toString()), Duration.ofSeconds(30), "qemu-img info");
        try {
            Object v = MiniJson.parseObject(out).get("virtual-size");
            return ((Number) v).longValue();
        } catch (RuntimeException e) {
            throw new HypervisorException("qemu-img info gave no virtual size for " + image.disk(), e);
        }
    }

    // ----------------------------------------------------------------------------------------------- start

    @Override
    public void start(Machine machine) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        Map<String, Object> json = readJson(vmDir).orElseThrow(() -> new HypervisorException(ErrorCode.VM_NOT_FOUND,
                "no QEMU machine in " + vmDir, null));
        if (pid(vmDir).isPresent()) {
            return;
        }
        Step step = new Step(listeners.getOrDefault(vmDir, settings.progress()), machine.name(), "start");
        step.started("starting qemu");
        // a stale socket or pid file from a crashed QEMU would confuse what follows
        Files2.deleteQuietly(vmDir.resolve(PID));
        Files2.deleteQuietly(Path.of((String) json.get("qmpSocket")));
        Acceleration.Decision decision = Acceleration.of(settings).decide(settings.accel(),
                json.get("kernel") == null ? null : Path.of((String) json.get("kernel")));
        String accel = decision.accel();
        step.info("acceleration: " + accel + " (" + decision.reason() + ")");
        Path log = vmDir.resolve(LOG);
        try {
            List<String> args = commandLine(json, vmDir, accel);
            Files.writeString(log, String.join(" ", args) + "\n");
            Process p = new ProcessBuilder(args).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (!p.waitFor(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                killFromPidFile(vmDir);
                throw new HypervisorException(ErrorCode.TIMEOUT, "QEMU did not start within "
                        + settings.startTimeout().toSeconds() + " s; log: " + Files2.tail(log, 5), null);
            }
            if (p.exitValue() != 0) {
                String why = Files2.tail(log, 5);
                Files2.deleteQuietly(vmDir.resolve(PID));
                String msg = why.contains("host forwarding rule") || why.contains("Address already in use")
                        ? "a forwarded host port of " + machine.name() + " is already in use: " + lastLine(why)
                        : "QEMU failed to start " + machine.name() + " (exit " + p.exitValue() + "): " + lastLine(why);
                throw new HypervisorException(msg);
            }
            json.put("accel", accel);
            Files2.writeAtomically(vmDir.resolve(MACHINE_JSON), MiniJson.write(json) + "\n");
        } catch (IOException e) {
            step.failed(e.getMessage());
            throw new HypervisorException("could not run " + settings.qemu() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killFromPidFile(vmDir);
            throw new HypervisorException(ErrorCode.CANCELLED, "interrupted while starting QEMU", e);
        } catch (HypervisorException e) {
            step.failed(e.getMessage());
            throw e;
        }
        // QEMU holds the ports now
        List<PortAllocator.Reservation> r = held.remove(vmDir);
        if (r != null) {
            r.forEach(PortAllocator.Reservation::close);
        }
        String status = queryStatus(json).orElse("unknown");
        step.finished("qemu " + pid(vmDir).map(String::valueOf).orElse("?") + " " + status + " (" + accel + ")");
    }

    private static String lastLine(String text) {
        String[] l = text.strip().split("\n");
        return l[l.length - 1];
    }

    @SuppressWarnings("unchecked")
    List<String> commandLine(Map<String, Object> json, Path vmDir, String accel) throws HypervisorException {
        List<String> a = new ArrayList<>();
        a.add(settings.qemu());
        a.addAll(List.of("-name", "guest=" + opt(hostname((String) json.get("name"))),
                "-nodefaults", "-no-user-config", "-display", "none",
                "-machine", settings.machine() + ",accel=" + accel,
                "-m", String.valueOf(json.get("memoryMb")), "-smp", String.valueOf(json.get("cpus"))));
        if ("kvm".equals(accel)) {
            a.addAll(List.of("-cpu", "host"));
        }
        a.addAll(BootFirmware.args(json, vmDir));
        if (json.get("kernel") != null) {
            a.addAll(List.of("-kernel", (String) json.get("kernel")));
            if (json.get("initrd") != null) {
                a.addAll(List.of("-initrd", (String) json.get("initrd")));
            }
            if (json.get("kernelArgs") != null) {
                a.addAll(List.of("-append", (String) json.get("kernelArgs")));
            }
        }
        a.addAll(List.of("-drive", "file=" + opt(vmDir.resolve(DISK).toString()) + ",if=virtio,format=qcow2,discard=unmap",
                "-drive", "file=" + opt(vmDir.resolve(SEED).toString()) + ",if=virtio,format=raw,readonly=on"));
        StringBuilder net = new StringBuilder("user,id=net0");
        for (Object o : (List<Object>) json.get("ports")) {
            Map<String, Object> p = (Map<String, Object>) o;
            net.append(",hostfwd=tcp:").append(p.get("address")).append(':').append(p.get("host")).append("-:")
                    .append(p.get("guest"));
        }
        a.addAll(List.of("-netdev", net.toString(), "-device", "virtio-net-pci,netdev=net0",
                "-device", "virtio-rng-pci"));
        int n = 0;
        for (Object o : (List<Object>) json.get("shares")) {
            Map<String, Object> s = (Map<String, Object>) o;
            String v = "local,path=" + opt((String) s.get("hostPath")) + ",mount_tag=" + s.get("tag")
                    + ",security_model=none,id=fs" + (n++);
            if (Boolean.TRUE.equals(s.get("readOnly"))) {
                v += ",readonly=on";
            }
            a.addAll(List.of("-virtfs", v));
        }
        a.addAll(List.of("-serial", "file:" + vmDir.resolve(CONSOLE),
                "-qmp", "unix:" + opt((String) json.get("qmpSocket")) + ",server=on,wait=off",
                "-pidfile", vmDir.resolve(PID).toString(), "-daemonize"));
        return a;
    }

    /** QEMU option values escape commas by doubling them. */
    static String opt(String v) {
        return v.replace(",", ",,");
    }

    // ------------------------------------------------------------------------------------------ stop/state

    @Override
    public void stop(Machine machine, Duration grace) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        Optional<Long> pid = pid(vmDir);
        if (pid.isEmpty()) {
            cleanRuntimeFiles(vmDir);
            return;
        }
        Duration g = grace == null || grace.isNegative() ? settings.powerdownGrace() : grace;
        Path socket = qmpSocket(vmDir, readJson(vmDir).orElse(Map.of()));
        try (Qmp q = Qmp.connect(socket, settings.qmpTimeout())) {
            q.execute("system_powerdown");
        } catch (IOException e) {
            // no QMP: go straight to quit/kill below
        }
        if (!waitForExit(pid.get(), g)) {
            quitOrKill(vmDir, pid.get());
        }
        cleanRuntimeFiles(vmDir);
    }

    @Override
    public VmState state(Machine machine) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        Optional<Map<String, Object>> json = readJson(vmDir);
        if (json.isEmpty()) {
            return pid(vmDir).isPresent() ? VmState.UNKNOWN : VmState.DESTROYED;
        }
        if (pid(vmDir).isEmpty()) {
            return VmState.STOPPED;
        }
        return switch (queryStatus(json.get()).orElse("")) {
            case "running", "paused", "debug", "prelaunch", "inmigrate", "postmigrate", "finish-migrate",
                 "save-vm", "restore-vm", "suspended", "colo" -> VmState.RUNNING;
            case "shutdown" -> VmState.STOPPED;
            case "internal-error", "io-error", "guest-panicked", "watchdog" -> VmState.FAILED;
            default -> VmState.UNKNOWN;
        };
    }

    @SuppressWarnings("unchecked")
    private Optional<String> queryStatus(Map<String, Object> json) {
        Path socket = Path.of((String) json.get("qmpSocket"));
        try (Qmp q = Qmp.connect(socket, settings.qmpTimeout())) {
            Object r = q.execute("query-status");
            return Optional.ofNullable((String) ((Map<String, Object>) r).get("status"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    // --------------------------------------------------------------------------------------------- destroy

    @Override
    public void destroy(Machine machine) throws VboxmcpException {
        Path vmDir = machine.vmDir();
        pid(vmDir).ifPresent(p -> quitOrKill(vmDir, p));
        List<PortAllocator.Reservation> r = held.remove(vmDir);
        if (r != null) {
            r.forEach(PortAllocator.Reservation::close);
        }
        listeners.remove(vmDir);
        removeFiles(vmDir);
        Optional<Long> left = pid(vmDir);
        if (left.isPresent()) {
            throw new HypervisorException("QEMU process " + left.get() + " of " + machine.name() + " survived destroy");
        }
    }

    /** QMP quit, then the last resort: SIGKILL. */
    private void quitOrKill(Path vmDir, long pid) {
        Path socket = qmpSocket(vmDir, readJson(vmDir).orElse(Map.of()));
        try (Qmp q = Qmp.connect(socket, settings.qmpTimeout())) {
            q.execute("quit");
        } catch (IOException e) {
            // QEMU closes the socket while answering quit, or QMP is gone; either way wait, then kill
        }
        if (!waitForExit(pid, settings.quitTimeout())) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            waitForExit(pid, Duration.ofSeconds(5));
        }
    }

    private void killFromPidFile(Path vmDir) {
        pid(vmDir).ifPresent(p -> {
            ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly);
            waitForExit(p, Duration.ofSeconds(5));
        });
    }

    private static boolean waitForExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private void cleanRuntimeFiles(Path vmDir) {
        Files2.deleteQuietly(vmDir.resolve(PID));
        Files2.deleteQuietly(qmpSocket(vmDir, readJson(vmDir).orElse(Map.of())));
    }

    /** Removes everything this driver writes into the VM folder (and the folder itself if that leaves it empty). */
    private void removeFiles(Path vmDir) {
        Path socket = qmpSocket(vmDir, readJson(vmDir).orElse(Map.of()));
        Files2.deleteQuietly(socket);
        Files2.deleteQuietly(qmpSocket(vmDir));
        for (String f : List.of(DISK, SEED, BootFirmware.VARS, CONSOLE, PID, LOG, MACHINE_JSON, MACHINE_JSON + ".tmp")) {
            Files2.deleteQuietly(vmDir.resolve(f));
        }
        Files2.deleteTree(vmDir.resolve(".seed"));
        try (var s = Files.list(vmDir)) {
            if (s.findAny().isEmpty()) {
                Files.deleteIfExists(vmDir);
            }
        } catch (IOException e) {
            // the folder is the manager's; leaving it is harmless
        }
    }

    // ------------------------------------------------------------------------------------------------ find

    @Override
    public Optional<Machine> find(String name, Path vmDir) throws VboxmcpException {
        Optional<Map<String, Object>> json = readJson(vmDir);
        if (json.isEmpty() || !name.equals(json.get().get("name"))) {
            return Optional.empty();
        }
        return Optional.of(toMachine(json.get(), vmDir));
    }

    @SuppressWarnings("unchecked")
    private Machine toMachine(Map<String, Object> json, Path vmDir) {
        Map<Integer, Integer> portMap = new LinkedHashMap<>();
        for (Object o : (List<Object>) json.get("ports")) {
            Map<String, Object> p = (Map<String, Object>) o;
            portMap.put(((Number) p.get("guest")).intValue(), ((Number) p.get("host")).intValue());
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("qmpSocket", (String) json.get("qmpSocket"));
        attrs.put("console", vmDir.resolve(CONSOLE).toString());
        attrs.put("disk", vmDir.resolve(DISK).toString());
        attrs.put("instanceId", (String) json.get("instanceId"));
        attrs.put("firmware", json.get("firmware") == null ? BootFirmware.BIOS : (String) json.get("firmware"));
        if (json.get("accel") != null) {
            attrs.put("accel", (String) json.get("accel"));
        }
        return new Machine((String) json.get("name"), ID, vmDir, (String) json.get("sshHost"),
                ((Number) json.get("sshPort")).intValue(), portMap, attrs);
    }

    private static Optional<Map<String, Object>> readJson(Path vmDir) {
        Path f = vmDir.resolve(MACHINE_JSON);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(MiniJson.parseObject(Files.readString(f)));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    // ----------------------------------------------------------------------------------------- guest mount

    @Override
    public String guestMountCommand(Machine machine, PlannedSharedFolder folder) {
        String dir = "'" + folder.guestPath().replace("'", "'\\''") + "'";
        return "{ modprobe 9pnet_virtio 2>/dev/null; modprobe 9p 2>/dev/null; true; } && mkdir -p " + dir
                + " && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144" + (folder.readOnly() ? ",ro" : "")
                + " " + mountTag(folder.name()) + " " + dir;
    }

    /** 9p mount tags are at most 31 bytes; unusual names get a digest suffix so two shares never collide. */
    static String mountTag(String name) {
        String clean = name.replaceAll("[^A-Za-z0-9_-]", "_");
        if (clean.equals(name) && clean.length() <= 31) {
            return clean;
        }
        String h = sha256(name).substring(0, 8);
        return clean.substring(0, Math.min(clean.length(), 22)) + "_" + h;
    }

    @Override
    public String consoleTail(Machine machine, int lines) {
        return Files2.tail(machine.vmDir().resolve(CONSOLE), lines);
    }

    // ----------------------------------------------------------------------------------------------- misc

    /** The live QEMU process of this VM folder: the pid file's process, if its command line names this folder. */
    static Optional<Long> pid(Path vmDir) {
        Path f = vmDir.resolve(PID);
        try {
            if (!Files.isRegularFile(f)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(f).trim());
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().isAlive()) {
                return Optional.empty();
            }
            Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
            if (Files.isReadable(cmdline)) {
                String cmd = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
                if (!cmd.contains(f.toString())) {
                    return Optional.empty(); // the pid was reused by something else
                }
            }
            return Optional.of(pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Unix socket paths are limited to ~107 bytes; deep VM folders get a short one under the temp dir. */
    Path qmpSocket(Path vmDir) {
        Path inDir = vmDir.resolve("qmp.sock");
        if (inDir.toString().length() <= UNIX_PATH_MAX) {
            return inDir;
        }
        return settings.runtimeDir().resolve("qmp-" + sha256(vmDir.toString()).substring(0, 16) + ".sock");
    }

    private Path qmpSocket(Path vmDir, Map<String, Object> json) {
        Object s = json.get("qmpSocket");
        return s == null ? qmpSocket(vmDir) : Path.of((String) s);
    }

    static String hostname(String vmName) {
        String h = vmName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        if (h.isEmpty()) {
            h = "vm";
        }
        return h.length() > 63 ? h.substring(0, 63) : h;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a short host command; a non-zero exit is a HypervisorException carrying its output. */
    static String exec(List<String> cmd, Duration timeout, String what) throws HypervisorException {
        try {
            Path out = Files.createTempFile("vboxmcp-qemu", ".out");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new HypervisorException(ErrorCode.TIMEOUT, what + " did not finish within " + timeout.toSeconds() + " s", null);
                }
                String text = Files.readString(out);
                if (p.exitValue() != 0) {
                    throw new HypervisorException(what + " failed (exit " + p.exitValue() + "): " + text.strip());
                }
                return text;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new HypervisorException("could not run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(ErrorCode.CANCELLED, what + " interrupted", e);
        }
    }

    /** Progress events of one step, with elapsed time. */
    private static final class Step {
        private final ProgressListener listener;
        private final String vm;
        private final String name;
        private final long t0 = System.nanoTime();

        Step(ProgressListener listener, String vm, String name) {
            this.listener = listener;
            this.vm = vm;
            this.name = name;
        }

        void started(String msg) {
            emit(ProgressEvent.Kind.STEP_STARTED, msg);
        }

        void info(String msg) {
            emit(ProgressEvent.Kind.INFO, msg);
        }

        void finished(String msg) {
            emit(ProgressEvent.Kind.STEP_FINISHED, msg);
        }

        void failed(String msg) {
            emit(ProgressEvent.Kind.STEP_FAILED, msg == null ? "failed" : msg);
        }

        private void emit(ProgressEvent.Kind kind, String msg) {
            try {
                listener.onEvent(new ProgressEvent(kind, vm, "qemu." + name, msg, -1, -1,
                        Duration.ofNanos(System.nanoTime() - t0)));
            } catch (RuntimeException ignored) {
                // a listener must not break the driver
            }
        }
    }
}
