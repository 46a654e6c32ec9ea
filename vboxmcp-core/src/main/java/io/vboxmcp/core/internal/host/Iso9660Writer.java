package io.vboxmcp.core.internal.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a single-directory ISO 9660 image: what a cloud-init NoCloud seed needs (volume label {@code cidata},
 * files {@code user-data} and {@code meta-data}). Names are stored upper case with {@code ;1}; Linux's isofs
 * (default {@code map=normal}) shows them lower case without the version, which is what cloud-init reads.
 * No Joliet or Rock Ridge: the seed is read once, by Linux, as root. The volume ends with {@link #PADDING} zero
 * sectors, as {@code genisoimage} pads by default: busybox's {@code findfs}/{@code blkid} (the test guest's, and
 * many small images') read 68 KiB from the start of a device before probing and skip a shorter one.
 */
final class Iso9660Writer {
    private static final int SECTOR = 2048;
    private static final int PVD = 16;
    private static final int L_PATH = 18;
    private static final int M_PATH = 19;
    private static final int ROOT = 20;
    private static final int FIRST_FILE = 21;
    /** 150 sectors (300 KiB), {@code genisoimage -pad}: CD read-ahead and label probes never read past the end. */
    static final int PADDING = 150;

    private Iso9660Writer() {
    }

    /**
     * @param volumeId up to 32 characters
     * @param files    file name (without version) to content; names up to 30 characters of {@code [A-Za-z0-9_.-]}
     * @param time     recorded as every timestamp, so equal input gives equal bytes
     */
    static byte[] write(String volumeId, Map<String, byte[]> files, ZonedDateTime time) {
        if (volumeId.length() > 32) {
            throw new IllegalArgumentException("volume id longer than 32 characters: " + volumeId);
        }
        TreeMap<String, byte[]> sorted = new TreeMap<>();
        files.forEach((n, c) -> {
            String name = n.toUpperCase(Locale.ROOT);
            if (!name.matches("[A-Z0-9_.-]{1,30}")) {
                throw new IllegalArgumentException("unsupported ISO 9660 file name: " + n);
            }
            sorted.put(name, c);
        });
        ZonedDateTime t = time.withZoneSameInstant(ZoneOffset.UTC);
        List<int[]> extents = new ArrayList<>();
        int next = FIRST_FILE;
        for (byte[] c : sorted.values()) {
            extents.add(new int[] {next, c.length});
            next += Math.max(1, (c.length + SECTOR - 1) / SECTOR);
        }
        int total = next + PADDING;
        ByteBuffer img = ByteBuffer.allocate(total * SECTOR).order(ByteOrder.LITTLE_ENDIAN);

        // Root directory: ".", "..", then the files in name order.
        ByteBuffer rootDir = ByteBuffer.allocate(SECTOR);
        rootDir.put(dirRecord(new byte[] {0}, ROOT, SECTOR, true, t));
        rootDir.put(dirRecord(new byte[] {1}, ROOT, SECTOR, true, t));
        int i = 0;
        for (String name : sorted.keySet()) {
            int[] e = extents.get(i++);
            byte[] rec = dirRecord((name + ";1").getBytes(StandardCharsets.US_ASCII), e[0], e[1], false, t);
            if (rootDir.remaining() < rec.length) {
                throw new IllegalArgumentException("too many files for a one-sector root directory");
            }
            rootDir.put(rec);
        }

        // Primary volume descriptor.
        int p = PVD * SECTOR;
        img.put(p, (byte) 1);
        putAscii(img, p + 1, "CD001", 5);
        img.put(p + 6, (byte) 1);
        putAscii(img, p + 8, "", 32);
        putAscii(img, p + 40, volumeId, 32);
        bothEndian32(img, p + 80, total);
        bothEndian16(img, p + 120, 1);
        bothEndian16(img, p + 124, 1);
        bothEndian16(img, p + 128, SECTOR);
        bothEndian32(img, p + 132, 10);
        img.order(ByteOrder.LITTLE_ENDIAN).putInt(p + 140, L_PATH);
        img.order(ByteOrder.BIG_ENDIAN).putInt(p + 148, M_PATH);
        img.order(ByteOrder.LITTLE_ENDIAN);
        byte[] rootRec = dirRecord(new byte[] {0}, ROOT, SECTOR, true, t);
        img.put(p + 156, rootRec, 0, 34);
        putAscii(img, p + 190, "", 128);
        putAscii(img, p + 318, "", 128);
        putAscii(img, p + 446, "", 128);
        putAscii(img, p + 574, "VBOXMCP", 128);
        putAscii(img, p + 702, "", 37);
        putAscii(img, p + 739, "", 37);
        putAscii(img, p + 776, "", 37);
        putAscii(img, p + 813, longDate(t), 16);
        putAscii(img, p + 830, longDate(t), 16);
        putAscii(img, p + 847, "0000000000000000", 16);
        putAscii(img, p + 864, longDate(t), 16);
        img.put(p + 881, (byte) 1);

        // Terminator.
        int term = (PVD + 1) * SECTOR;
        img.put(term, (byte) 255);
        putAscii(img, term + 1, "CD001", 5);
        img.put(term + 6, (byte) 1);

        // Path tables: only the root (id length 1, id 0, parent 1).
        for (int[] table : new int[][] {{L_PATH, 0}, {M_PATH, 1}}) {
            int o = table[0] * SECTOR;
            img.put(o, (byte) 1);
            img.put(o + 1, (byte) 0);
            img.order(table[1] == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            img.putInt(o + 2, ROOT);
            img.putShort(o + 6, (short) 1);
            img.order(ByteOrder.LITTLE_ENDIAN);
            img.put(o + 8, (byte) 0);
        }

        img.put(ROOT * SECTOR, rootDir.array());
        i = 0;
        for (byte[] c : sorted.values()) {
            img.put(extents.get(i++)[0] * SECTOR, c);
        }
        return img.array();
    }

    private static byte[] dirRecord(byte[] name, int extent, int size, boolean dir, ZonedDateTime t) {
        int len = 33 + name.length + (name.length % 2 == 0 ? 1 : 0);
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) len);
        bothEndian32(b, 2, extent);
        bothEndian32(b, 10, size);
        b.put(18, (byte) (t.getYear() - 1900));
        b.put(19, (byte) t.getMonthValue());
        b.put(20, (byte) t.getDayOfMonth());
        b.put(21, (byte) t.getHour());
        b.put(22, (byte) t.getMinute());
        b.put(23, (byte) t.getSecond());
        b.put(24, (byte) 0);
        b.put(25, (byte) (dir ? 2 : 0));
        bothEndian16(b, 28, 1);
        b.put(32, (byte) name.length);
        b.put(33, name);
        return b.array();
    }

    private static String longDate(ZonedDateTime t) {
        return String.format(Locale.ROOT, "%04d%02d%02d%02d%02d%02d00", t.getYear(), t.getMonthValue(),
                t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond());
    }

    private static void putAscii(ByteBuffer b, int at, String s, int width) {
        byte[] v = s.getBytes(StandardCharsets.US_ASCII);
        for (int k = 0; k < width; k++) {
            b.put(at + k, k < v.length ? v[k] : (byte) ' ');
        }
    }

    private static void bothEndian32(ByteBuffer b, int at, int v) {
        b.order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        b.order(ByteOrder.BIG_ENDIAN).putInt(at + 4, v);
        b.order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void bothEndian16(ByteBuffer b, int at, int v) {
        b.order(ByteOrder.LITTLE_ENDIAN).putShort(at, (short) v);
        b.order(ByteOrder.BIG_ENDIAN).putShort(at + 2, (short) v);
        b.order(ByteOrder.LITTLE_ENDIAN);
    }
}
