package io.vboxmcp.core.internal.archive;

import io.vboxmcp.template.rules.internal.PathRules;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.core.internal.util.Digests;
import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and extracts template packages ({@code .tar.gz}) safely by construction (ARC-01..18): regular files and
 * directories only; portable, relative names without {@code ..}, {@code .git}, collisions or duplicates; bounded entry
 * count, entry size, total size and compression ratio; every file checked against the (already verified) manifest
 * while it is written; extraction into a temporary folder that is moved into place atomically only on success and
 * deleted on any failure. Thread-safe (stateless apart from its limits).
 */
public final class SafeExtractor {
    /**
     * @param maxEntries      most entries (files and directories)
     * @param maxEntryBytes   largest single file
     * @param maxTotalBytes   largest sum of file sizes
     * @param maxRatio        largest uncompressed/compressed ratio once past {@code ratioGraceBytes}
     * @param ratioGraceBytes uncompressed bytes below which the ratio is not judged
     * @param maxTrustFileBytes largest manifest or signature entry held in memory
     */
    public record Limits(int maxEntries, long maxEntryBytes, long maxTotalBytes, long maxRatio, long ratioGraceBytes,
                         int maxTrustFileBytes) {
        public static Limits defaults() {
            return new Limits(10_000, 16L << 30, 32L << 30, 100, 16L << 20, Manifest.MAX_BYTES);
        }
    }

    /** What the structural pass found: trust files in memory and the size of every file entry. */
    public record Scan(byte[] manifest, byte[] openPgpSignature, byte[] sshSignature, Map<String, Long> files) {
    }

    private final Limits limits;

    public SafeExtractor(Limits limits) {
        this.limits = limits;
    }

    public SafeExtractor() {
        this(Limits.defaults());
    }

    /** Pass 1: checks every header and bound without writing anything; keeps the manifest and signatures. */
    public Scan scan(Path pkg) throws VboxmcpException {
        byte[][] trust = new byte[3][];
        Map<String, Long> files = new LinkedHashMap<>();
        walk(pkg, (path, entry, dir, in) -> {
            if (dir) return;
            int t = trustIndex(path);
            if (t >= 0) {
                if (entry.getSize() > limits.maxTrustFileBytes()) throw new ArchiveException(path + " is larger than " + limits.maxTrustFileBytes() + " bytes");
                trust[t] = in.readAllBytes();
            } else {
                files.put(path, entry.getSize());
            }
        });
        return new Scan(trust[0], trust[1], trust[2], files);
    }

    /**
     * Pass 2: writes the package into {@code target} (which must not exist), checking every file against the
     * verified manifest and the trust files against pass 1's bytes. With {@code target == null} it only hashes.
     *
     * @throws io.vboxmcp.SignatureVerificationException-like {@link VboxmcpException} with {@code DIGEST_MISMATCH} if
     *                                                         a file differs from the manifest
     */
    public void extract(Path pkg, Manifest manifest, Scan scan, Path target) throws VboxmcpException {
        Path tmp = null;
        try {
            if (target != null) {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new VboxmcpException(ErrorCode.CONFLICT, "extraction target " + target + " already exists");
                }
                Files.createDirectories(target.getParent());
                tmp = Files.createTempDirectory(target.getParent(), ".extract-");
            }
            Path root = tmp;
            Map<String, Boolean> seen = new HashMap<>();
            walk(pkg, (path, entry, dir, in) -> {
                if (dir) {
                    if (root != null) Files.createDirectories(root.resolve(path));
                    return;
                }
                int t = trustIndex(path);
                byte[] expectedTrust = t == 0 ? scan.manifest() : t == 1 ? scan.openPgpSignature() : t == 2 ? scan.sshSignature() : null;
                if (t >= 0) {
                    byte[] actual = in.readAllBytes();
                    if (!Arrays.equals(actual, expectedTrust)) throw mismatch(path + " changed between verification and extraction");
                    if (root != null) writeFile(root, path, new java.io.ByteArrayInputStream(actual), actual.length, false, null);
                    return;
                }
                Manifest.Entry m = manifest.entry(path);
                if (m == null) throw mismatch("file '" + Printable.path(path) + "' is not listed in the manifest");
                if (entry.getSize() != m.size()) throw mismatch("file '" + Printable.path(path) + "' has " + entry.getSize() + " bytes, the manifest says " + m.size());
                boolean exec = (entry.getMode() & 0100) != 0;
                String hex = root != null ? writeFile(root, path, in, m.size(), exec, Digests.sha256())
                        : Digests.sha256Stream(in).hex();
                if (!hex.equals(m.sha256())) throw mismatch("file '" + Printable.path(path) + "' does not match its sha256 in the manifest");
                seen.put(path, true);
            });
            for (Manifest.Entry e : manifest.entries()) {
                if (!seen.containsKey(e.path())) throw mismatch("file '" + Printable.path(e.path()) + "' listed in the manifest is missing from the package");
            }
            if (tmp != null) {
                directoriesReadableByAll(tmp);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                    throw new VboxmcpException(ErrorCode.IO, "cannot move the extracted template into place atomically: " + e.getMessage(), e);
                }
                tmp = null;
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot extract " + pkg.getFileName() + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) AtomicFiles.deleteTreeQuietly(tmp);
        }
    }

    private static VboxmcpException mismatch(String msg) {
        return new VboxmcpException(ErrorCode.DIGEST_MISMATCH, msg);
    }

    private String writeFile(Path root, String path, InputStream in, long size, boolean exec, MessageDigest md) throws IOException {
        Path f = root.resolve(path);
        Path parent = f.getParent();
        Files.createDirectories(parent);
        if (!f.normalize().startsWith(root) || Files.isSymbolicLink(parent)) throw new IOException("path escapes the target: " + path);
        long written = 0;
        byte[] head = new byte[4];
        try (OutputStream out = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (written < head.length) System.arraycopy(buf, 0, head, (int) written, (int) Math.min(n, head.length - written));
                written += n;
                if (written > size) throw new IOException(path + " is longer than declared");
                if (md != null) md.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        if (written != size) throw new IOException(path + " is shorter than declared");
        try {
            // ARC-08: the archive's mode bits are not signed (the manifest binds content only), so they alone never
            // make a file executable: 0755 only for an executable-marked script or binary (its signed content starts
            // with "#!" or an ELF header), 0644 for everything else
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(exec && isProgram(head) ? "rwxr-xr-x" : "rw-r--r--"));
        } catch (UnsupportedOperationException ignored) {
            // non-POSIX file systems keep their default permissions
        }
        return md == null ? null : Digests.hex(md.digest());
    }

    private static boolean isProgram(byte[] head) {
        return (head[0] == '#' && head[1] == '!') || (head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F');
    }

    /** ARC-08: directories are 0755 whatever the archive or the umask said (the staging folder starts as 0700). */
    private static void directoriesReadableByAll(Path root) throws IOException {
        try (var s = Files.walk(root)) {
            for (Path d : (Iterable<Path>) s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))::iterator) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        } catch (UnsupportedOperationException ignored) {
            // non-POSIX file systems keep their default permissions
        }
    }

    interface EntryVisitor {
        void visit(String path, TarArchiveEntry entry, boolean dir, InputStream content) throws IOException, VboxmcpException;
    }

    /** Every structural rule, applied to every entry, in both passes. */
    void walk(Path pkg, EntryVisitor visitor) throws VboxmcpException {
        if (!Files.isRegularFile(pkg, LinkOption.NOFOLLOW_LINKS)) throw new ArchiveException("package " + pkg + " is not a regular file");
        Map<String, String> collisions = new HashMap<>();
        Map<String, Boolean> kinds = new HashMap<>();
        int count = 0;
        long total = 0;
        try (CountingInputStream raw = new CountingInputStream(new BufferedInputStream(Files.newInputStream(pkg, LinkOption.NOFOLLOW_LINKS), 1 << 16));
             GzipCompressorInputStream gz = new GzipCompressorInputStream(raw, false);
             // record size 512: the reader skips nothing after the end blocks, so checkEnd sees every byte left
             TarArchiveInputStream tar = new TarArchiveInputStream(gz, TarConstants.DEFAULT_RCDSIZE, "UTF-8")) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (++count > limits.maxEntries()) throw new ArchiveException("more than " + limits.maxEntries() + " entries (ARC-14)");
                String name = e.getName();
                byte type = e.getLinkFlag();
                boolean dir = type == TarConstants.LF_DIR;
                boolean file = type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM;
                if (!dir && !file) throw new ArchiveException("entry '" + Printable.path(name) + "' is " + describe(e) + "; packages hold regular files and directories only");
                if (e.isSparse() || e.isPaxGNUSparse() || e.isPaxGNU1XSparse() || e.isStarSparse() || e.isOldGNUSparse()) {
                    throw new ArchiveException("entry '" + Printable.path(name) + "' is a sparse file");
                }
                if (name.startsWith("./")) name = name.substring(2);
                if (dir) {
                    if (!name.endsWith("/") && !name.isEmpty()) name = name + "/";
                    name = name.isEmpty() ? name : name.substring(0, name.length() - 1);
                    if (name.isEmpty()) continue;
                } else if (name.endsWith("/")) {
                    throw new ArchiveException("file entry '" + Printable.path(name) + "' has a directory name");
                }
                PathRules.check(name);
                Boolean previous = kinds.put(name, dir);
                if (previous != null) throw new ArchiveException("duplicate entry '" + Printable.path(name) + "' (ARC-09)");
                String other = collisions.putIfAbsent(PathRules.collisionKey(name), name);
                if (other != null) throw new ArchiveException("'" + Printable.path(name) + "' and '" + Printable.path(other) + "' collide on case-insensitive or normalising file systems (ARC-11)");
                int slash = name.lastIndexOf('/');
                while (slash > 0) {
                    String parent = name.substring(0, slash);
                    if (Boolean.FALSE.equals(kinds.get(parent))) throw new ArchiveException("'" + Printable.path(name) + "' is below the file '" + Printable.path(parent) + "'");
                    slash = parent.lastIndexOf('/');
                }
                if (!dir) {
                    long size = e.getSize();
                    if (size < 0 || size > limits.maxEntryBytes()) throw new ArchiveException("entry '" + Printable.path(name) + "' is larger than " + limits.maxEntryBytes() + " bytes (ARC-14)");
                    total += size;
                    if (total > limits.maxTotalBytes()) throw new ArchiveException("package expands to more than " + limits.maxTotalBytes() + " bytes (ARC-13)");
                }
                BoundedRatio content = new BoundedRatio(tar, raw, total - (dir ? 0 : e.getSize()), name);
                visitor.visit(name, e, dir, content);
                content.drain();
            }
            checkEnd(gz, raw);
        } catch (IOException e) {
            if (e.getCause() instanceof VboxmcpException ve) throw ve;
            throw new ArchiveException("package " + pkg.getFileName() + " is not a valid .tar.gz: " + e.getMessage(), e);
        }
    }

    /** Most zero padding accepted after the tar end blocks (GNU tar pads to its record size, 10 KiB by default). */
    static final int MAX_END_PADDING = 1 << 20;

    /**
     * GNU tar reads gzip members after the first and tar data after the end blocks (with {@code -i}); a package
     * whose readers can disagree on its content is refused, not silently cut (ARC-10).
     */
    private static void checkEnd(InputStream gz, InputStream raw) throws IOException, ArchiveException {
        byte[] buf = new byte[8192];
        long padding = 0;
        int n;
        while ((n = gz.read(buf)) >= 0) {
            for (int i = 0; i < n; i++) {
                if (buf[i] != 0) throw new ArchiveException("the package has data after the end of its tar archive (ARC-10)");
            }
            padding += n;
            if (padding > MAX_END_PADDING) throw new ArchiveException("the package has more than " + MAX_END_PADDING + " bytes of padding after the end of its tar archive (ARC-10)");
        }
        if (raw.read() >= 0) {
            throw new ArchiveException("the package has data after its first gzip member (a second member or trailing bytes, ARC-10)");
        }
    }

    private final class BoundedRatio extends FilterInputStream {
        private final CountingInputStream raw;
        private final long before;
        private final String name;
        private long read;

        BoundedRatio(InputStream in, CountingInputStream raw, long before, String name) {
            super(in);
            this.raw = raw;
            this.before = before;
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                read += n;
                long expanded = before + read;
                if (expanded > limits.ratioGraceBytes() && expanded > limits.maxRatio() * Math.max(1, raw.count())) {
                    throw new IOException(new ArchiveException("compression ratio above " + limits.maxRatio() + ":1 at '" + Printable.path(name) + "' (ARC-13)"));
                }
            }
            return n;
        }

        void drain() throws IOException {
            byte[] buf = new byte[64 * 1024];
            while (read(buf, 0, buf.length) >= 0) {
                // skip unread content through the ratio check
            }
        }

        @Override
        public void close() {
            // the tar stream stays open for the next entry
        }
    }

    private static final class CountingInputStream extends FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            return s;
        }

        long count() {
            return count;
        }
    }

    private static String describe(TarArchiveEntry e) {
        if (e.isSymbolicLink()) return "a symbolic link to '" + Printable.path(e.getLinkName()) + "' (ARC-03)";
        if (e.isLink()) return "a hard link to '" + Printable.path(e.getLinkName()) + "' (ARC-05)";
        if (e.isCharacterDevice()) return "a character device (ARC-07)";
        if (e.isBlockDevice()) return "a block device (ARC-07)";
        if (e.isFIFO()) return "a FIFO (ARC-07)";
        return "of tar type '" + (char) e.getLinkFlag() + "'";
    }

    private static int trustIndex(String path) {
        return switch (path) {
            case Manifest.FILE_NAME -> 0;
            case Manifest.OPENPGP_SIGNATURE -> 1;
            case Manifest.SSH_SIGNATURE -> 2;
            default -> -1;
        };
    }

}
