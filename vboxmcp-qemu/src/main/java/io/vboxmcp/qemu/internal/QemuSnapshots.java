package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.ReadySnapshotSupport;
import io.vboxmcp.spi.support.DriverProgress;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Ready snapshots of QEMU machines. Save: QMP {@code stop}, {@code migrate} to {@code exec:cat > state} (QEMU 7.2
 * has no {@code file:} URI), a copy of the paused machine's qcow2 overlay (its images are flushed and inactive once
 * migration completed), then {@code cont}. Restore: a new overlay over the frozen copy, QEMU started with {@code -S
 * -incoming unix:…}, the state streamed in only after both files matched their digests, then {@code cont}. The
 * command line is the cold one (same devices; {@code vmgenid,guid=auto} gives the clone a new generation id, so
 * Linux reseeds its RNG) with the clone's own disk, seed and host ports.
 */
final class QemuSnapshots implements ReadySnapshotSupport {
    static final String STATE = "state";
    static final String DISK = "disk.qcow2";
    /** Bumped whenever what save writes changes meaning. */
    static final String FORMAT = "1";
    /** Migration throttles to 128 MiB/s by default; a paused machine saved to a local file need not be. */
    private static final long BANDWIDTH = 64L << 30;
    /** A save or restore moves at most a few GiB through the page cache; far longer means QEMU is wedged. */
    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    private static final Map<String, String> VERSIONS = new ConcurrentHashMap<>();

    private final QemuDriver driver;
    private final QemuSettings settings;

    QemuSnapshots(QemuDriver driver) {
        this.driver = driver;
        this.settings = driver.settings();
    }

    @Override
    public Map<String, String> keyParts(MachineSpec spec) throws VboxmcpException {
        MachineRecord proto = driver.prototype(spec);
        String accel = Acceleration.of(settings).decide(settings.accel(),
                proto.kernel() == null ? null : Path.of(proto.kernel())).accel();
        List<String> layout = driver.commandLineBuilder().build(proto, Path.of("/vm"), accel);
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put("qemu.version", qemuVersion());
        parts.put("qemu.driver", FORMAT + "/" + driverVersion());
        parts.put("qemu.machine", settings.machine());
        parts.put("qemu.accel", accel);
        // everything the guest sees as hardware, with the per-VM paths, names and host ports as placeholders
        parts.put("qemu.layout", Files2.sha256Hex(String.join("\u0000", layout.subList(1, layout.size()))));
        return parts;
    }

    @Override
    public Map<String, String> save(Machine machine, Path dir, ProgressListener progress) throws VboxmcpException {
        DriverProgress step = new DriverProgress(progress, machine.name(), "qemu.snapshot");
        MachineRecord m = MachineFolder.read(machine.vmDir()).orElseThrow(() -> new HypervisorException(
                ErrorCode.VM_NOT_FOUND, "no QEMU machine in " + machine.vmDir(), null));
        Path state = dir.resolve(STATE);
        Path disk = dir.resolve(DISK);
        step.started("saving memory and device state");
        try (Qmp q = Qmp.connect(Path.of(m.qmpSocket()), settings.qmpTimeout())) {
            q.execute("stop");
            try {
                q.execute("migrate-set-parameters", Map.of("max-bandwidth", BANDWIDTH));
                q.execute("migrate", Map.of("uri", "exec:cat > " + shellQuote(state.toAbsolutePath().toString())));
                awaitMigration(q, TIMEOUT, "saving " + machine.name());
                step.info("copying the disk overlay (" + Files.size(machine.vmDir().resolve(MachineFolder.DISK)) / (1 << 20)
                        + " MiB)");
                Files.copy(machine.vmDir().resolve(MachineFolder.DISK), disk, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                q.execute("cont");  // the machine the user asked for runs on, saved or not
            }
        } catch (IOException e) {
            step.failed(e.getMessage());
            throw new HypervisorException("could not save a ready snapshot of " + machine.name() + ": " + e.getMessage(), e);
        }
        try {
            Map<String, String> digests = new LinkedHashMap<>();
            for (Path f : List.of(state, disk)) {
                digests.put(f.getFileName().toString(), sha256(f));
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("r--r-----"));
            }
            step.finished("saved (" + (Files.size(state) + Files.size(disk)) / (1 << 20) + " MiB)");
            return digests;
        } catch (IOException e) {
            step.failed(e.getMessage());
            throw new HypervisorException("could not seal the ready snapshot of " + machine.name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Machine restore(MachineSpec spec, Path dir, Map<String, String> digests) throws VboxmcpException {
        Path state = dir.resolve(STATE);
        Path frozen = dir.resolve(DISK);
        // both hashed while QEMU starts; nothing reaches QEMU's migration parser before they match
        CompletableFuture<String> stateHash = hashLater(state);
        CompletableFuture<String> diskHash = hashLater(frozen);
        Machine m = null;
        DriverProgress step = new DriverProgress(spec.progress(), spec.plan().vmName(), "qemu.restore");
        try {
            if (!Files.isRegularFile(state) || !Files.isRegularFile(frozen)) {
                throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot " + dir + " is incomplete");
            }
            m = driver.create(spec, frozen);
            Machine clone = m;
            MachineRecord rec = MachineFolder.read(clone.vmDir()).orElseThrow();
            step.started("starting qemu for the incoming state");
            Acceleration.Decision decision = Acceleration.of(settings).decide(settings.accel(),
                    rec.kernel() == null ? null : Path.of(rec.kernel()));
            Path incoming = incomingSocket(rec);
            Files2.deleteQuietly(incoming);
            List<String> args = new ArrayList<>(driver.commandLineBuilder().build(rec, clone.vmDir(), decision.accel()));
            args.addAll(List.of("-S", "-incoming", "unix:" + QemuCommandLine.opt(incoming.toString())));
            driver.process().launch(clone.vmDir(), clone.name(), args);
            MachineFolder.write(clone.vmDir(), rec.withAccel(decision.accel()));
            driver.releaseHeldPorts(clone.vmDir());
            check(STATE, digests, stateHash);
            check(DISK, digests, diskHash);
            step.info("state and disk match their digests; loading the state");
            try (Qmp q = Qmp.connect(Path.of(rec.qmpSocket()), settings.qmpTimeout())) {
                stream(state, incoming);
                awaitMigration(q, TIMEOUT, "restoring " + clone.name());
                q.execute("cont");
            } finally {
                Files2.deleteQuietly(incoming);
            }
            step.finished("resumed (" + decision.accel() + ")");
            return rec.withAccel(decision.accel()).toMachine(clone.vmDir());
        } catch (VboxmcpException | IOException | RuntimeException e) {
            stateHash.cancel(true);
            diskHash.cancel(true);
            if (m != null) {
                try {
                    driver.destroy(m);
                } catch (VboxmcpException d) {
                    e.addSuppressed(d);
                }
            }
            step.failed(e.getMessage());
            if (e instanceof VboxmcpException v) {
                throw v;
            }
            throw new HypervisorException("could not restore " + spec.plan().vmName() + " from " + dir + ": "
                    + e.getMessage(), e);
        }
    }

    private static void check(String file, Map<String, String> digests, CompletableFuture<String> actual)
            throws VboxmcpException {
        String want = digests.get(file);
        String got;
        try {
            got = actual.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while checking the ready snapshot", e);
        } catch (ExecutionException e) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot file " + file + " is unreadable: "
                    + e.getCause().getMessage(), e.getCause());
        }
        if (want == null || !want.equals(got)) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot file " + file + " has digest " + got
                    + ", expected " + want);
        }
    }

    /** Polls QMP {@code query-migrate} until it completed; a failed or cancelled migration is a HypervisorException. */
    @SuppressWarnings("unchecked")
    private static void awaitMigration(Qmp q, Duration timeout, String what) throws IOException, HypervisorException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 5;
        while (true) {
            Map<String, Object> r = (Map<String, Object>) q.execute("query-migrate");
            Object status = r.get("status");
            if ("completed".equals(status)) {
                return;
            }
            if ("failed".equals(status) || "cancelled".equals(status)) {
                throw new HypervisorException("QEMU migration " + status + " while " + what
                        + (r.get("error-desc") == null ? "" : ": " + r.get("error-desc")));
            }
            if (System.nanoTime() > deadline) {
                throw new HypervisorException(ErrorCode.TIMEOUT, what + " took longer than " + timeout.toSeconds() + " s", null);
            }
            try {
                Thread.sleep(pause);  // a poll of QEMU's own progress, bounded by the deadline
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HypervisorException(ErrorCode.CANCELLED, "interrupted while " + what, e);
            }
            pause = Math.min(100, pause * 2);
        }
    }

    /** Streams the saved state into QEMU's incoming socket (QEMU started listening before it daemonized). */
    private static void stream(Path state, Path socket) throws IOException {
        try (SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX);
             FileChannel in = FileChannel.open(state, StandardOpenOption.READ)) {
            out.connect(UnixDomainSocketAddress.of(socket));
            long size = in.size();
            long pos = 0;
            while (pos < size) {
                pos += in.transferTo(pos, size - pos, out);
            }
        }
    }

    private Path incomingSocket(MachineRecord rec) {
        String qmp = rec.qmpSocket();
        return Path.of(qmp.endsWith(".sock") ? qmp.substring(0, qmp.length() - 5) + "-in.sock" : qmp + "-in");
    }

    private static CompletableFuture<String> hashLater(Path f) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return sha256(f);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
                if (Thread.currentThread().isInterrupted()) {
                    throw new java.io.InterruptedIOException("hashing " + f);
                }
            }
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String qemuVersion() throws HypervisorException {
        String bin = settings.qemu();
        String cacheKey = bin;
        try {
            Path real = Files2.which(bin).orElse(Path.of(bin)).toRealPath();
            cacheKey = real + "|" + Files.size(real) + "|" + Files.getLastModifiedTime(real).toMillis();
        } catch (IOException e) {
            // asked below; QEMU itself will say what is wrong
        }
        String cached = VERSIONS.get(cacheKey);
        if (cached != null) {
            return cached;
        }
        String out = HostCommand.run(List.of(bin, "--version"), Duration.ofSeconds(20), "qemu --version");
        String v = out.strip().split("\n")[0].strip();
        VERSIONS.put(cacheKey, v);
        return v;
    }

    private static String driverVersion() {
        String v = QemuSnapshots.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
