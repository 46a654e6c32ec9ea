package io.vboxmcp.qemu.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The KVM probe's answer, kept in a small JSON file for the rest of the host's boot, so only the first process
 * after a reboot pays for the probe (issue #13: every CLI process waited the probe's timeout). An answer is valid
 * while the host's boot id and the emulator binary (path, size, modification time) are the same; the file also
 * names the kernel it was probed with (path and SHA-256), which a later probe on this boot may reuse. A file that
 * cannot be read or parsed is ignored (and replaced by the next probe).
 */
final class KvmProbeCache {
    /** Probing the same kernel file again must not hash it again; keyed by path, size and mtime. */
    private static final Map<String, String> DIGESTS = new ConcurrentHashMap<>();

    /**
     * What the answer depends on besides the kernel.
     *
     * @param bootId     the host's {@code /proc/sys/kernel/random/boot_id}
     * @param qemu       the emulator's absolute path
     * @param qemuSize   its size in bytes
     * @param qemuMtime  its modification time in milliseconds
     */
    record Host(String bootId, String qemu, long qemuSize, long qemuMtime) { }

    /**
     * One probe's answer.
     *
     * @param kernel       the kernel that was booted
     * @param kernelSize   its size in bytes
     * @param kernelMtime  its modification time in milliseconds
     * @param kernelSha256 its digest (hex)
     */
    record Entry(Host host, String kernel, long kernelSize, long kernelMtime, String kernelSha256, boolean kvmUsable,
                 String reason) {
        /** @return whether {@code file} is the very file this entry was probed with (path, size, mtime unchanged) */
        boolean sameKernelFile(Path file) {
            try {
                return file.toAbsolutePath().toString().equals(kernel) && Files.size(file) == kernelSize
                        && Files.getLastModifiedTime(file).toMillis() == kernelMtime;
            } catch (IOException e) {
                return false;
            }
        }
    }

    private KvmProbeCache() {
    }

    /** @return the host identity, empty if the boot id cannot be read or the emulator is not found */
    static Optional<Host> host(String qemu, Path bootIdFile) {
        try {
            String bootId = Files.readString(bootIdFile).strip();
            Optional<Path> exe = Files2.which(qemu);
            if (bootId.isEmpty() || exe.isEmpty()) {
                return Optional.empty();
            }
            Path real = exe.get().toRealPath();
            return Optional.of(new Host(bootId, real.toString(), Files.size(real),
                    Files.getLastModifiedTime(real).toMillis()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** @return the stored entry, empty if there is none or it is unreadable or malformed */
    static Optional<Entry> read(Path file) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) > 64 * 1024) {
                return Optional.empty();
            }
            Map<String, Object> j = Json.parseObject(Files.readString(file));
            Host h = new Host(str(j, "bootId"), str(j, "qemu"), num(j, "qemuSize"), num(j, "qemuMtime"));
            Object usable = j.get("kvmUsable");
            if (!(usable instanceof Boolean b)) {
                return Optional.empty();
            }
            return Optional.of(new Entry(h, str(j, "kernel"), num(j, "kernelSize"), num(j, "kernelMtime"),
                    str(j, "kernelSha256"), b, str(j, "reason")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes the entry atomically (a temporary file in the same folder, then a rename), so a concurrent reader
     * sees the old file or the new one. Best effort: a cache that cannot be written only costs the next process
     * another probe.
     */
    static void write(Path file, Entry e) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("bootId", e.host().bootId());
        j.put("qemu", e.host().qemu());
        j.put("qemuSize", e.host().qemuSize());
        j.put("qemuMtime", e.host().qemuMtime());
        j.put("kernel", e.kernel());
        j.put("kernelSize", e.kernelSize());
        j.put("kernelMtime", e.kernelMtime());
        j.put("kernelSha256", e.kernelSha256());
        j.put("kvmUsable", e.kvmUsable());
        j.put("reason", e.reason());
        j.put("probedAt", Instant.now().toString());
        Path tmp = null;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".kvm-probe", ".tmp");
            Files.writeString(tmp, Json.write(j) + "\n");
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException ex) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException ex) {
            if (tmp != null) {
                Files2.deleteQuietly(tmp);
            }
        }
    }

    /** @return the hex SHA-256 of a file, remembered per path, size and modification time */
    static String sha256(Path file) throws IOException {
        String key = file.toAbsolutePath() + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
        String known = DIGESTS.get(key);
        if (known != null) {
            return known;
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            String hex = HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
            DIGESTS.put(key, hex);
            return hex;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String str(Map<String, Object> j, String k) {
        if (!(j.get(k) instanceof String s)) {
            throw new IllegalArgumentException("no " + k);
        }
        return s;
    }

    private static long num(Map<String, Object> j, String k) {
        if (!(j.get(k) instanceof Number n)) {
            throw new IllegalArgumentException("no " + k);
        }
        return n.longValue();
    }
}
