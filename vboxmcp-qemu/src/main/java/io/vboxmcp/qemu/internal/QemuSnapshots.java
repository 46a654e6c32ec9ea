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
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ByteChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Ready snapshots of QEMU machines. Save: QMP {@code stop}, {@code migrate} to {@code exec:cat > state} (QEMU 7.2
 * has no {@code file:} URI), a copy of the paused machine's qcow2 overlay (its images are flushed and inactive once
 * migration completed), then {@code cont}; the state's digest per 32 MiB chunk is written beside it
 * ({@code state.chunks}). Restore: a new overlay over the frozen copy, QEMU started with {@code -S -incoming unix:…},
 * the state streamed in through the JVM, each chunk only once it hashed to its listed digest (snapshots without a
 * chunk list: once the whole state's digest matched, and hashed again as it goes), the disk hashed through QEMU's
 * own descriptor ({@link SnapshotFiles}), then {@code cont} only if everything matched. The
 * command line is the cold one (same devices; {@code vmgenid,guid=auto} gives the clone a new generation id, so
 * Linux reseeds its RNG) with the clone's own disk, seed and host ports.
 */
final class QemuSnapshots implements ReadySnapshotSupport {
    static final String STATE = "state";
    static final String DISK = "disk.qcow2";
    /** The digest of each {@link SnapshotFiles#STATE_CHUNK} bytes of the state, one per line. */
    static final String CHUNKS = "state.chunks";
    /** A chunk list longer than this is not one (a 64 GiB state has 2048 lines of 72 bytes). */
    private static final int MAX_CHUNK_LIST = 1 << 20;
    /** Bumped whenever what save writes changes meaning (2: the identity port; 3: the state's chunk list). */
    static final String FORMAT = "3";
    /** Migration throttles to 128 MiB/s by default; a paused machine saved to a local file need not be. */
    private static final long BANDWIDTH = 64L << 30;
    /** A save or restore moves at most a few GiB through the page cache; far longer means QEMU is wedged. */
    private static final Duration TIMEOUT = Duration.ofMinutes(10);
    private static final Map<String, String> VERSIONS = new ConcurrentHashMap<>();
    /** Identity port connections made before a clone resumed, by the clone's folder, until the manager takes them. */
    private final Map<Path, SocketChannel> identityPorts = new ConcurrentHashMap<>();

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
            Path chunks = dir.resolve(CHUNKS);
            Files.writeString(chunks, SnapshotFiles.chunkDigests(state));
            Map<String, String> digests = new LinkedHashMap<>();
            for (Path f : List.of(state, chunks, disk)) {
                digests.put(f.getFileName().toString(), SnapshotFiles.sha256(f));
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
        Machine m = null;
        DriverProgress step = new DriverProgress(spec.progress(), spec.plan().vmName(), "qemu.restore");
        CompletableFuture<String> stateHash = null;
        CompletableFuture<String> diskHash = null;
        // ART-05: a writer of the cache may swap the files at any moment; the state is read from this one open file
        // only (hashed while QEMU starts, then hashed again while it is streamed in), the disk through QEMU's own
        // descriptor, and the clone resumes only once all three digests matched
        try (FileChannel in = openState(state)) {
            long t0 = System.nanoTime();
            // snapshots since format 3 list a digest per chunk of the state: each chunk is checked as it is streamed;
            // older ones are hashed whole before QEMU reads a byte, and again as they are streamed
            List<String> chunks = digests.containsKey(CHUNKS) ? chunkList(dir, digests.get(CHUNKS)) : null;
            if (chunks == null) {
                stateHash = hashLater(() -> SnapshotFiles.sha256(state));
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
            // connected before the clone resumes: its waiting identity agent must never see the host end closed
            try {
                identityPorts.put(clone.vmDir(), connect(rec));
            } catch (IOException e) {
                step.info("identity port unreachable (" + e.getMessage() + "); the manager logs in instead");
            }
            MachineFolder.write(clone.vmDir(), rec.withAccel(decision.accel()));
            driver.releaseHeldPorts(clone.vmDir());
            long pid = QemuProcess.pid(clone.vmDir()).orElseThrow(() -> new HypervisorException(
                    "QEMU of " + clone.name() + " exited right after it started"));
            Path opened = SnapshotFiles.openedBy(pid, frozen);
            diskHash = hashLater(() -> SnapshotFiles.sha256(opened));
            long started = System.nanoTime();
            if (chunks == null) {
                check(STATE, digests, stateHash);
            }
            long checked = System.nanoTime();
            step.info(chunks == null ? "state matches its digest; loading it"
                    : "state chunk list matches its digest; loading the state, each chunk checked before QEMU reads it");
            long streamedAt = 0;
            long loadedAt;
            try (Qmp q = Qmp.connect(Path.of(rec.qmpSocket()), settings.qmpTimeout())) {
                if (chunks == null) {
                    String streamed = SnapshotFiles.streamHashing(in, incoming);
                    awaitMigration(q, TIMEOUT, "restoring " + clone.name());
                    check(STATE + " (as streamed to QEMU)", digests.get(STATE), CompletableFuture.completedFuture(streamed));
                } else {
                    SnapshotFiles.streamVerified(in, chunks, incoming);
                    streamedAt = System.nanoTime();
                    awaitMigration(q, TIMEOUT, "restoring " + clone.name());
                }
                loadedAt = System.nanoTime();
                check(DISK, digests.get(DISK), diskHash);
                q.execute("cont");
            } finally {
                Files2.deleteQuietly(incoming);
            }
            step.finished("resumed (" + decision.accel() + "; qemu up after " + (started - t0) / 1_000_000
                    + " ms, state checked " + (checked - started) / 1_000_000 + " ms later, then loaded and disk checked in "
                    + (System.nanoTime() - checked) / 1_000_000 + " ms: "
                    + (streamedAt == 0 ? "" : "streamed " + (streamedAt - checked) / 1_000_000 + " ms, ")
                    + "loaded " + (loadedAt - checked) / 1_000_000 + " ms)");
            return rec.withAccel(decision.accel()).toMachine(clone.vmDir());
        } catch (VboxmcpException | IOException | RuntimeException e) {
            for (CompletableFuture<String> f : new ArrayList<>(java.util.Arrays.asList(stateHash, diskHash))) {
                if (f != null) {
                    f.cancel(true);
                }
            }
            if (m != null) {
                closeIdentityPort(m.vmDir());
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

    @Override
    public Optional<String> identityPort() {
        return Optional.of(QemuCommandLine.IDENTITY_PORT);
    }

    @Override
    public ByteChannel connectIdentityPort(Machine machine) throws VboxmcpException {
        SocketChannel early = identityPorts.remove(machine.vmDir());
        if (early != null) {
            return early;
        }
        MachineRecord rec = MachineFolder.read(machine.vmDir()).orElseThrow(() -> new HypervisorException(
                ErrorCode.VM_NOT_FOUND, "no QEMU machine in " + machine.vmDir(), null));
        try {
            return connect(rec);
        } catch (IOException e) {
            throw new HypervisorException("could not connect to the identity port of " + machine.name() + ": "
                    + e.getMessage(), e);
        }
    }

    /** Closes a connection made in {@link #restore} that nobody took (the clone is being destroyed). */
    void closeIdentityPort(Path vmDir) {
        SocketChannel c = identityPorts.remove(vmDir);
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing a unix socket to QEMU
            }
        }
    }

    private static SocketChannel connect(MachineRecord rec) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            c.connect(UnixDomainSocketAddress.of(MachineFolder.siblingSocket(rec.qmpSocket(),
                    MachineFolder.IDENTITY_SOCKET)));
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** @return the chunk list, once its bytes (read once, bounded) hashed to {@code want} */
    private static List<String> chunkList(Path dir, String want) throws VboxmcpException {
        Path f = dir.resolve(CHUNKS);
        byte[] bytes;
        try (java.io.InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
            bytes = in.readNBytes(MAX_CHUNK_LIST + 1);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot file " + f + " is unreadable: "
                    + e.getMessage(), e);
        }
        String got = "sha256:" + Files2.sha256Hex(bytes);
        if (bytes.length > MAX_CHUNK_LIST || !got.equals(want)) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot file " + CHUNKS + " has digest " + got
                    + ", expected " + want);
        }
        return List.of(new String(bytes, java.nio.charset.StandardCharsets.US_ASCII).strip().split("\n"));
    }

    private static FileChannel openState(Path state) throws VboxmcpException {
        if (!Files.isRegularFile(state, LinkOption.NOFOLLOW_LINKS)) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot file " + state + " is missing");
        }
        try {
            return FileChannel.open(state, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot file " + state + " is unreadable: "
                    + e.getMessage(), e);
        }
    }

    private static void check(String file, Map<String, String> digests, CompletableFuture<String> actual)
            throws VboxmcpException {
        check(file, digests.get(file), actual);
    }

    private static void check(String file, String want, CompletableFuture<String> actual) throws VboxmcpException {
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

    private static Path incomingSocket(MachineRecord rec) {
        return MachineFolder.siblingSocket(rec.qmpSocket(), "in");
    }

    /** Something that hashes, run on another thread. */
    @FunctionalInterface
    private interface Hash {
        String run() throws IOException;
    }

    private static CompletableFuture<String> hashLater(Hash h) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return h.run();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
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
