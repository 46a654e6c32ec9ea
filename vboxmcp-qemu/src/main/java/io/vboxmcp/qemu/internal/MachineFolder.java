package io.vboxmcp.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The files of one machine in its VM folder: {@code machine.json} (read and written atomically), the disk, seed,
 * console, log and pid file, and the QMP socket (in the folder, or under the runtime folder when the folder's path
 * is too long for a unix socket).
 */
final class MachineFolder {
    static final String MACHINE_JSON = "machine.json";
    static final String DISK = "disk.qcow2";
    static final String SEED = "seed.iso";
    static final String CONSOLE = "console.log";
    static final String PID = "qemu.pid";
    static final String LOG = "qemu.log";
    /** Unix socket paths are limited to ~107 bytes. */
    private static final int UNIX_PATH_MAX = 100;
    /** The suffix of the identity port's socket ({@link #siblingSocket}). */
    static final String IDENTITY_SOCKET = "id";
    /** A machine.json is a few KiB; anything far larger is not ours. */
    private static final long MAX_JSON = 1024 * 1024;

    private final Path runtimeDir;

    MachineFolder(Path runtimeDir) {
        this.runtimeDir = runtimeDir;
    }

    /** @return the machine of {@code vmDir}; empty if there is none or its {@code machine.json} is unreadable */
    static Optional<MachineRecord> read(Path vmDir) {
        Path f = vmDir.resolve(MACHINE_JSON);
        try {
            if (!Files.isRegularFile(f) || Files.size(f) > MAX_JSON) {
                return Optional.empty();
            }
            return Optional.ofNullable(Json.MAPPER.readValue(f.toFile(), MachineRecord.class));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static void write(Path vmDir, MachineRecord m) throws IOException {
        Files2.writeAtomically(vmDir.resolve(MACHINE_JSON), Json.write(m) + "\n");
    }

    /** @return where a new machine in {@code vmDir} gets its QMP socket */
    Path qmpSocket(Path vmDir) {
        Path inDir = vmDir.resolve("qmp.sock");
        if (inDir.toString().length() <= UNIX_PATH_MAX) {
            return inDir;
        }
        return runtimeDir.resolve("qmp-" + Files2.sha256Hex(vmDir.toString()).substring(0, 16) + ".sock");
    }

    /** @return the recorded QMP socket of the machine in {@code vmDir}, else where it would be */
    Path recordedQmpSocket(Path vmDir) {
        return read(vmDir).map(MachineRecord::qmpSocket).map(Path::of).orElseGet(() -> qmpSocket(vmDir));
    }

    /**
     * @param qmpSocket a machine's QMP socket
     * @param suffix    what the other socket is for ({@code in}: the incoming state; {@code id}: the identity port)
     * @return a socket beside the QMP one ({@code qmp.sock} → {@code qmp-<suffix>.sock}): short enough wherever that is
     */
    static Path siblingSocket(String qmpSocket, String suffix) {
        return Path.of(qmpSocket.endsWith(".sock") ? qmpSocket.substring(0, qmpSocket.length() - 5) + "-" + suffix
                + ".sock" : qmpSocket + "-" + suffix);
    }

    /** Removes what a stopped QEMU leaves behind: its pid file and sockets. */
    void cleanRuntimeFiles(Path vmDir) {
        Files2.deleteQuietly(vmDir.resolve(PID));
        Path qmp = recordedQmpSocket(vmDir);
        Files2.deleteQuietly(qmp);
        Files2.deleteQuietly(siblingSocket(qmp.toString(), IDENTITY_SOCKET));
    }

    /** Removes everything this driver writes into the VM folder (and the folder itself if that leaves it empty). */
    void removeFiles(Path vmDir) {
        for (Path qmp : List.of(recordedQmpSocket(vmDir), qmpSocket(vmDir))) {
            Files2.deleteQuietly(qmp);
            Files2.deleteQuietly(siblingSocket(qmp.toString(), IDENTITY_SOCKET));
        }
        for (String f : List.of(DISK, SEED, BootFirmware.VARS, CONSOLE, PID, LOG, MACHINE_JSON, MACHINE_JSON + ".tmp")) {
            Files2.deleteQuietly(vmDir.resolve(f));
        }
        try (var s = Files.list(vmDir)) {
            if (s.findAny().isEmpty()) {
                Files.deleteIfExists(vmDir);
            }
        } catch (IOException e) {
            // the folder is the manager's; leaving it is harmless
        }
    }
}
