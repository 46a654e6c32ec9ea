package io.vboxmcp.core.internal.util;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** Write-then-rename helpers: readers see the old or the new content, never a torn file. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /**
     * Writes {@code bytes} to a temp file beside {@code target} (creating the folder), forces it to disk, then
     * renames it over.
     */
    public static void write(Path target, byte[] bytes) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        replace(target, bytes, null);
    }

    /**
     * Like {@link #write(Path, byte[])} but into an existing folder only, and with {@code permissions} (when not
     * null) set on the new file before it appears under its name.
     */
    public static void replace(Path target, byte[] bytes, Set<PosixFilePermission> permissions) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            if (permissions != null) {
                try {
                    Files.setPosixFilePermissions(tmp, permissions);
                } catch (UnsupportedOperationException ignored) {
                    // non-POSIX file systems keep their default permissions
                }
            }
            move(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Renames {@code tmp} over {@code target}: atomically where the file system can, else a plain replace. */
    public static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {@link #deleteTree} for clean-up after a failure: what cannot be deleted stays, silently. */
    public static void deleteTreeQuietly(Path root) {
        try {
            deleteTree(root);
        } catch (IOException ignored) {
            // best effort: callers leave only hidden work folders behind
        }
    }

    /**
     * Deletes a file tree if it exists; does not follow links. A file that appears in a folder while the walk runs
     * (a process that is still ending) gets another pass, at most {@value #DELETE_PASSES} in all.
     */
    public static void deleteTree(Path root) throws IOException {
        for (int pass = 1; ; pass++) {
            try {
                deleteTreeOnce(root);
                return;
            } catch (DirectoryNotEmptyException e) {
                if (pass >= DELETE_PASSES) {
                    throw e;
                }
            }
        }
    }

    /** Passes of {@link #deleteTree}: bounded, so a writer that never stops still gets an error. */
    static final int DELETE_PASSES = 3;

    private static void deleteTreeOnce(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Copies a folder tree of regular files and folders; links and special files are refused. */
    public static void copyTree(Path from, Path to) throws IOException {
        copyTree(from, to, Long.MAX_VALUE);
    }

    /**
     * Copies a folder tree of regular files and folders, at most {@code maxBytes} in all; links and special files
     * are refused (checked without following them, and each file is opened with {@code O_NOFOLLOW}).
     */
    public static void copyTree(Path from, Path to, long maxBytes) throws IOException {
        long[] budget = {maxBytes};
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!attrs.isRegularFile()) {
                    throw new IOException("not a regular file: " + from.relativize(file));
                }
                Path target = to.resolve(from.relativize(file).toString());
                try (InputStream in = RegularFiles.open(file);
                     OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    byte[] buf = new byte[64 * 1024];
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        budget[0] -= n;
                        if (budget[0] < 0) throw new IOException("more than " + maxBytes + " bytes to copy from " + from);
                        out.write(buf, 0, n);
                    }
                }
                Files.setLastModifiedTime(target, attrs.lastModifiedTime());
                try {
                    Files.setPosixFilePermissions(target, Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS));
                } catch (UnsupportedOperationException ignored) {
                    // non-POSIX file systems keep their default permissions
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
