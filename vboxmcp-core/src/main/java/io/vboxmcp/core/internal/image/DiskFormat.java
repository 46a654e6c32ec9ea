package io.vboxmcp.core.internal.image;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Optional;

/**
 * A disk image's format, read from its magic bytes, never from its name or a catalog's word (Ubuntu's {@code .img}
 * cloud images are qcow2). A hypervisor told the wrong format would read container bytes as the guest's disk, or
 * worse, probe a raw disk the guest wrote as something else.
 *
 * <p>It also refuses images that would make a hypervisor open other host files: a qcow2 whose header names a backing
 * file or an external data file (incompatible feature bit 2), and a VMDK text descriptor (it names extent files).
 * Header layout: QEMU's docs/interop/qcow2.txt (big-endian; backing_file_offset at byte 8, version 3's
 * incompatible_features at byte 72).
 */
final class DiskFormat {
    private static final int HEAD = 512;
    private static final long QCOW2_EXTERNAL_DATA_FILE = 1L << 2;

    private DiskFormat() {
    }

    /**
     * @param declared the catalog's format, null if it names none
     * @return the format of {@code file}: {@code qcow2}, {@code vmdk}, {@code vdi}, {@code vhdx}, {@code ova} or
     *         {@code raw}
     * @throws VboxmcpException {@link ErrorCode#IMAGE_INVALID} if it disagrees with {@code declared} or is unsafe
     */
    static String check(String reference, Path file, String declared) throws VboxmcpException {
        byte[] head = head(file);
        String format = detect(head);
        if (format.equals("qcow2")) {
            qcow2Safety(reference, head);
        }
        if (format.equals("vmdk-descriptor")) {
            throw invalid("base image " + reference + " is a VMDK text descriptor: it names extent files on the host,"
                    + " which a hypervisor would open; use a monolithic sparse VMDK or another format");
        }
        if (declared != null && !declared.equals(format)) {
            throw invalid("base image " + reference + " is declared " + declared + " by its catalog, but the file is "
                    + format + " (from its magic bytes)");
        }
        return format;
    }

    /** @return the format from the first bytes ({@code vmdk-descriptor} for a text VMDK descriptor) */
    static String detect(byte[] head) {
        if (startsWith(head, 0, new byte[] {'Q', 'F', 'I', (byte) 0xfb})) {
            return "qcow2";
        }
        if (startsWith(head, 0, ascii("KDMV"))) {
            return "vmdk";
        }
        if (startsWith(head, 0, ascii("# Disk DescriptorFile"))) {
            return "vmdk-descriptor";
        }
        if (startsWith(head, 0, ascii("vhdxfile"))) {
            return "vhdx";
        }
        // VDI: a text banner, then the signature 0xbeda107f (little-endian) at 0x40
        if (head.length >= 0x44 && ByteBuffer.wrap(head, 0x40, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() == 0xbeda107f) {
            return "vdi";
        }
        if (startsWith(head, 257, ascii("ustar"))) {
            return "ova";
        }
        return "raw";
    }

    /**
     * @return the backing file a qcow2 image names, if it is a qcow2 and names one (used to find cached images that
     *         VM overlays still use)
     */
    static Optional<String> qcow2BackingFile(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(20);
            ch.read(h, 0);
            if (h.position() < 20 || !startsWith(h.array(), 0, new byte[] {'Q', 'F', 'I', (byte) 0xfb})) {
                return Optional.empty();
            }
            long offset = h.getLong(8);
            int size = h.getInt(16);
            if (offset <= 0 || size <= 0 || size > 4096) {
                return Optional.empty();
            }
            ByteBuffer name = ByteBuffer.allocate(size);
            ch.read(name, offset);
            return Optional.of(new String(name.array(), 0, name.position(), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void qcow2Safety(String reference, byte[] head) throws VboxmcpException {
        if (head.length < 72) {
            throw invalid("base image " + reference + " has a truncated qcow2 header");
        }
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.BIG_ENDIAN);
        int version = b.getInt(4);
        if (b.getLong(8) != 0) {
            throw invalid("base image " + reference + " is a qcow2 that names a backing file: a hypervisor would read"
                    + " that host file; a base image must be self-contained");
        }
        if (version >= 3 && head.length >= 80 && (b.getLong(72) & QCOW2_EXTERNAL_DATA_FILE) != 0) {
            throw invalid("base image " + reference + " is a qcow2 with an external data file: a hypervisor would"
                    + " read that host file; a base image must be self-contained");
        }
        if (version < 2 || version > 3) {
            throw invalid("base image " + reference + " is a qcow2 of unknown version " + version);
        }
    }

    private static byte[] head(Path file) throws VboxmcpException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(HEAD);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read until HEAD bytes or the end
            }
            return Arrays.copyOf(buf.array(), buf.position());
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean startsWith(byte[] a, int at, byte[] prefix) {
        if (a.length < at + prefix.length) {
            return false;
        }
        return Arrays.equals(a, at, at + prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static VboxmcpException invalid(String message) {
        return new VboxmcpException(ErrorCode.IMAGE_INVALID, message);
    }
}
