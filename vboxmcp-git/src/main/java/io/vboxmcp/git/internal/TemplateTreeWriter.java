package io.vboxmcp.git.internal;

import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.template.rules.internal.PathRules;
import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.trust.TemplatePublisher;
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
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes one template's files from a Git tree into a folder without a worktree: blobs are read through
 * {@link TreeWalk} and written as regular files only. Nothing Git would interpret runs or applies: no checkout,
 * no filters, no hooks, no submodules, no LFS; symlinks and gitlinks are refused. Every entry is checked before
 * the first byte is written, so a refused template leaves the folder as it was. Which names a template may hold is
 * core's rule too ({@link PathRules}, from {@code vboxmcp-template-rules}), so Git never admits a file that
 * {@code install} or a package would refuse.
 */
final class TemplateTreeWriter {
    /** Detached manifest signatures beside a template's files, by format (the names core's trust code reads). */
    static final Map<String, String> SIGNATURE_FILES = Map.of(TemplatePublisher.OPENPGP_SIGNATURE_FILE, "openpgp",
            TemplatePublisher.SSH_SIGNATURE_FILE, "ssh");
    static final int MAX_FILES = 10_000;
    private static final byte[] LFS_POINTER = "version https://git-lfs.github.com/spec/".getBytes(StandardCharsets.US_ASCII);

    private record Entry(String path, ObjectId blob, boolean executable, long size) {
    }

    private TemplateTreeWriter() {
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
                if (!folded.add(PathRules.collisionKey(path))) {
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
        String why = PathRules.problem(path);
        if (why != null) {
            throw refuse(label, "unsafe path '" + Printable.path(path) + "': " + why);
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
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(workDir)) {
            ds.forEach(GitMirror::deleteTree);
        } catch (IOException ignored) {
            // best effort: the caller deletes the work folder anyway
        }
    }

    private static ArchiveException refuse(String label, String message) {
        return new ArchiveException(label + ": " + message);
    }
}
