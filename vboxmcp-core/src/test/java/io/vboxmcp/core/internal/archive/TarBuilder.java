package io.vboxmcp.core.internal.archive;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes hostile or odd {@code .tar.gz} packages for the ARC tests, entry by entry. */
public final class TarBuilder implements AutoCloseable {
    private final TarArchiveOutputStream tar;

    TarBuilder(Path out) throws IOException {
        OutputStream os = Files.newOutputStream(out);
        tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(os), "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    public TarBuilder file(String name, String content) throws IOException {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0100644);
    }

    public TarBuilder file(String name, byte[] content, int mode) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(content.length);
        e.setMode(mode);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
        return this;
    }

    public TarBuilder zeros(String name, long size) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setSize(size);
        tar.putArchiveEntry(e);
        byte[] buf = new byte[1 << 16];
        for (long left = size; left > 0; left -= buf.length) tar.write(buf, 0, (int) Math.min(buf.length, left));
        tar.closeArchiveEntry();
        return this;
    }

    public TarBuilder dir(String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        return this;
    }

    public TarBuilder special(String name, byte type, String linkTarget) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        if (linkTarget != null) e.setLinkName(linkTarget);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        return this;
    }

    public static final byte SYMLINK = TarConstants.LF_SYMLINK;
    public static final byte HARDLINK = TarConstants.LF_LINK;
    public static final byte CHAR = TarConstants.LF_CHR;
    public static final byte BLOCK = TarConstants.LF_BLK;
    public static final byte FIFO = TarConstants.LF_FIFO;

    @Override
    public void close() throws IOException {
        tar.finish();
        tar.close();
    }
}
