package io.vboxmcp.core.internal.util;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one rule for opening files the SDK reads or replaces: only regular files, never through a symbolic link
 * ({@code O_NOFOLLOW}), never a FIFO, device or socket (opening a FIFO blocks until a writer appears; a device
 * node can be endless or have side effects). Checked before opening, then the open itself refuses links.
 */
public final class RegularFiles {
    private RegularFiles() {
    }

    /**
     * @return null if {@code p} is a regular file (not a link), "absent" if nothing is there, else what is there
     *         ("a symbolic link", "a directory", "a FIFO, device or socket")
     */
    public static String kind(Path p) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return "absent";
        } catch (IOException e) {
            return "unreadable (" + e.getClass().getSimpleName() + ")";
        }
        if (a.isRegularFile()) return null;
        if (a.isSymbolicLink()) return "a symbolic link";
        if (a.isDirectory()) return "a directory";
        return "a FIFO, device or socket";
    }

    /** @return whether {@code p} is a regular file, not reached through a link at its last component */
    public static boolean isRegular(Path p) {
        return kind(p) == null;
    }

    /** @return whether nothing is at {@code p}, or a regular file that may be replaced */
    public static boolean isRegularOrAbsent(Path p) {
        String k = kind(p);
        return k == null || k.equals("absent");
    }

    /**
     * Opens a regular file for reading without following a link at its last component.
     *
     * @throws IOException if {@code p} is not a regular file (nothing was opened) or cannot be read
     */
    public static InputStream open(Path p) throws IOException {
        String k = kind(p);
        if (k != null) throw new IOException(p + " is " + (k.equals("absent") ? "missing" : k) + ", not a regular file");
        return Files.newInputStream(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    }

    /** Reads at most {@code max} bytes of a regular file; more is an error. */
    public static byte[] read(Path p, long max) throws IOException {
        try (InputStream in = open(p)) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (b.length > max) throw new IOException(p + " is larger than " + max + " bytes");
            return b;
        }
    }
}
