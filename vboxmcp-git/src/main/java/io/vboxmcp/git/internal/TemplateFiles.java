package io.vboxmcp.git.internal;

import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.DetachedSignature;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.treewalk.TreeWalk;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Writes one template's files from a Git tree into a folder without a worktree: blobs are read through
 * {@link TreeWalk} and written as regular files only. Nothing Git would interpret runs or applies: no checkout,
 * no filters, no hooks, no submodules, no LFS; symlinks and gitlinks are refused. Every entry is checked before
 * the first byte is written, so a refused template leaves the folder as it was.
 */
final class TemplateFiles {
    /** Detached manifest signatures beside a template's files, by format (the names core's trust code reads). */
    static final Map<String, String> SIGNATURE_FILES = Map.of("vboxmcp.manifest.asc", "openpgp", "vboxmcp.manifest.sig", "ssh");
    static final int MAX_FILES = 10_000;
    private static final byte[] LFS_POINTER = "version https://git-lfs.github.com/spec/".getBytes(StandardCharsets.US_ASCII);

    private record Entry(String path, ObjectId blob, boolean executable, long size) {
    }

    private TemplateFiles() {
    }

    /**
     * @param tree     the template folder's tree
     * @param workDir  an empty (or absent) folder
     * @param label    names the template in messages
     * @return the detached signatures found at the template's root
     */
    static List<DetachedSignature> write(ObjectReader reader, RevTree tree, Path workDir, long maxBytes, String label)
            throws VboxmcpException {
        List<Entry> entries = scan(reader, tree, maxBytes, label);
        prepare(workDir);
        List<DetachedSignature> signatures = new ArrayList<>();
        try {
            for (Entry e : entries) {
                Path target = workDir.resolve(e.path()).normalize();
                if (!target.startsWith(workDir)) {
                    throw new ArchiveException(label + ": path '" + e.path() + "' leaves the folder");
                }
                Files.createDirectories(target.getParent());
                ObjectLoader loader = reader.open(e.blob(), org.eclipse.jgit.lib.Constants.OBJ_BLOB);
                try (InputStream in = loader.openStream();
                     OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                             StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                    in.transferTo(out);
                }
                if (e.executable()) {
                    try {
                        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
                    } catch (UnsupportedOperationException ignored) {
                        // not a POSIX file system: the executable bit cannot be kept
                    }
                }
                String format = SIGNATURE_FILES.get(e.path());
                if (format != null) {
                    signatures.add(new DetachedSignature(format, loader.getCachedBytes(1 << 20), e.path()));
                }
            }
        } catch (IOException | VboxmcpException | RuntimeException failure) {
            clear(workDir);
            if (failure instanceof VboxmcpException v) throw v;
            throw new VboxmcpException(ErrorCode.IO, label + ": could not write the template's files: " + failure.getMessage(), failure);
        }
        return signatures;
    }

    private static List<Entry> scan(ObjectReader reader, RevTree tree, long maxBytes, String label) throws VboxmcpException {
        List<Entry> out = new ArrayList<>();
        Set<String> folded = new HashSet<>();
        long total = 0;
        try (TreeWalk tw = new TreeWalk(reader)) {
            tw.addTree(tree);
            tw.setRecursive(true);
            while (tw.next()) {
                String path = tw.getPathString();
                FileMode mode = tw.getFileMode(0);
                checkPath(path, label);
                if (mode == FileMode.SYMLINK) {
                    throw refuse(label, "'" + path + "' is a symbolic link; templates from Git may only hold regular files");
                }
                if (mode == FileMode.GITLINK) {
                    throw refuse(label, "'" + path + "' is a submodule; submodules are never fetched");
                }
                int raw = tw.getRawMode(0);
                if (raw != 0100644 && raw != 0100755) {
                    throw refuse(label, "'" + path + "' has unsupported mode " + Integer.toOctalString(raw));
                }
                // two names that one file system may fold together (case, Unicode normalisation) must not both exist
                String key = java.text.Normalizer.normalize(path, java.text.Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
                if (!folded.add(key)) {
                    throw refuse(label, "'" + path + "' collides with another path that differs only in case");
                }
                if (out.size() >= MAX_FILES) {
                    throw refuse(label, "more than " + MAX_FILES + " files");
                }
                ObjectId id = tw.getObjectId(0);
                long size = reader.getObjectSize(id, org.eclipse.jgit.lib.Constants.OBJ_BLOB);
                total += size;
                if (total > maxBytes) {
                    throw refuse(label, "the template's files exceed " + maxBytes + " bytes");
                }
                if (size < 1024 && isLfsPointer(reader.open(id).getCachedBytes())) {
                    throw refuse(label, "'" + path + "' is a Git LFS pointer; LFS content is not supported");
                }
                out.add(new Entry(path, id, raw == 0100755, size));
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, label + ": could not read the template's tree: " + e.getMessage(), e);
        }
        return out;
    }

    private static boolean isLfsPointer(byte[] b) {
        if (b.length < LFS_POINTER.length) return false;
        for (int i = 0; i < LFS_POINTER.length; i++) {
            if (b[i] != LFS_POINTER[i]) return false;
        }
        return true;
    }

    private static void checkPath(String path, String label) throws VboxmcpException {
        for (String part : path.split("/", -1)) {
            String lower = part.toLowerCase(Locale.ROOT);
            if (part.isEmpty() || part.equals(".") || part.equals("..") || part.indexOf('\\') >= 0 || part.indexOf(':') >= 0
                    || part.chars().anyMatch(c -> c < 0x20 || c == 0x7f)
                    || lower.equals(".git") || lower.startsWith(".git ") || lower.startsWith(".git.") || lower.equals("git~1")) {
                throw refuse(label, "unsafe path '" + printable(path) + "'");
            }
        }
    }

    private static void prepare(Path workDir) throws VboxmcpException {
        try {
            if (Files.isSymbolicLink(workDir)) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "work folder " + workDir + " is a symbolic link");
            }
            Files.createDirectories(workDir);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(workDir)) {
                if (ds.iterator().hasNext()) {
                    throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "work folder " + workDir + " is not empty");
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not prepare work folder " + workDir + ": " + e.getMessage(), e);
        }
    }

    /** Removes what this class wrote below {@code workDir}, keeping the folder itself. */
    private static void clear(Path workDir) {
        try {
            Files.walkFileTree(workDir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    if (!dir.equals(workDir)) Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException ignored) {
            // best effort: the caller deletes the work folder anyway
        }
    }

    private static ArchiveException refuse(String label, String message) {
        return new ArchiveException(label + ": " + message);
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(200).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || Character.getType(cp) == Character.FORMAT) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }
}
