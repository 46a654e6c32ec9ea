package io.vboxmcp.core.internal.publish;

import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.Digests;
import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.RegularFiles;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipParameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Packs a template folder into a deterministic {@code .tar.gz}: the manifest and its signatures first, then
 * directories and files sorted by path; mtime 0, owner 0:0 without names, modes 0644 (0755 for directories and
 * owner-executable files), PAX headers for long or non-ASCII names; gzip without name or time, OS "unknown".
 * The same folder always gives the same bytes. Thread-safe (stateless).
 */
public final class Packager {
    private static final int FILE_MODE = 0100644;
    private static final int EXEC_MODE = 0100755;
    private static final int DIR_MODE = 040755;

    /**
     * @param dir a template folder holding a manifest that matches its files
     * @param out the package to write; replaced atomically
     * @return {@code sha256:<hex>} of the package bytes
     */
    public String pack(Path dir, Path out) throws VboxmcpException {
        Path manifestFile = dir.resolve(Manifest.FILE_NAME);
        if (!Files.isRegularFile(manifestFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new ArchiveException("cannot pack " + dir + ": it has no " + Manifest.FILE_NAME + " (write one first)");
        }
        Manifest manifest;
        try {
            manifest = Manifest.parse(RegularFiles.read(manifestFile, Manifest.MAX_BYTES));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read " + manifestFile + ": " + e.getMessage(), e);
        }
        String mismatch = manifest.firstMismatch(dir);
        if (mismatch != null) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "cannot pack " + dir + ": " + mismatch + " (rewrite the manifest and sign again)");
        }
        if (!RegularFiles.isRegularOrAbsent(out)) {
            // renaming over a FIFO, device node or link would replace it: only a regular file is ours to replace
            throw new VboxmcpException(ErrorCode.CONFLICT, "cannot write package " + out + ": it is "
                    + RegularFiles.kind(out) + ", not a regular file; nothing was written");
        }
        Path parent = out.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempFile(parent, ".pack-", ".tmp");
            try (OutputStream fos = Files.newOutputStream(tmp);
                 GzipCompressorOutputStream gz = new GzipCompressorOutputStream(fos, gzipParameters());
                 TarArchiveOutputStream tar = new TarArchiveOutputStream(gz, "UTF-8")) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                tar.setAddPaxHeadersForNonAsciiNames(true);
                for (String trust : List.of(Manifest.FILE_NAME, Manifest.OPENPGP_SIGNATURE, Manifest.SSH_SIGNATURE)) {
                    Path f = dir.resolve(trust);
                    if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) addFile(tar, f, trust, false);
                }
                Set<String> dirs = new HashSet<>();
                for (Manifest.Entry e : manifest.entries()) {
                    String[] parts = e.path().split("/");
                    StringBuilder d = new StringBuilder();
                    for (int i = 0; i < parts.length - 1; i++) {
                        d.append(parts[i]).append('/');
                        if (dirs.add(d.toString())) addDir(tar, d.toString());
                    }
                    Path f = dir.resolve(e.path());
                    addFile(tar, f, e.path(), isOwnerExecutable(f));
                }
                tar.finish();
            }
            AtomicFiles.move(tmp, out);
            return Digests.PREFIX + Digests.sha256File(out).hex();
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot write package " + out + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temp file is hidden and named .pack-*.tmp
                }
            }
        }
    }

    static GzipParameters gzipParameters() {
        GzipParameters p = new GzipParameters();
        p.setModificationTime(0);
        p.setOperatingSystem(255);
        p.setCompressionLevel(6);
        return p;
    }

    private static void addDir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        normalize(e, DIR_MODE);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void addFile(TarArchiveOutputStream tar, Path f, String name, boolean exec) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        normalize(e, exec ? EXEC_MODE : FILE_MODE);
        long size = Files.size(f);
        e.setSize(size);
        tar.putArchiveEntry(e);
        try (InputStream in = RegularFiles.open(f)) {
            long copied = in.transferTo(tar);
            if (copied != size) throw new IOException(name + " changed while it was being packed");
        }
        tar.closeArchiveEntry();
    }

    private static void normalize(TarArchiveEntry e, int mode) {
        e.setMode(mode);
        e.setModTime(0);
        e.setUserId(0);
        e.setGroupId(0);
        e.setUserName("");
        e.setGroupName("");
    }

    private static boolean isOwnerExecutable(Path f) {
        try {
            return Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }


    /** @return the sorted paths packed for a manifest, directories excluded (for tests and docs) */
    static List<String> order(Manifest m) {
        List<String> out = new ArrayList<>();
        m.entries().forEach(e -> out.add(e.path()));
        return out;
    }
}
