package io.vboxmcp.spi.support;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Shared folders over 9p (virtio-9p, as QEMU and libvirt export them): the mount tag of a share and the guest
 * command that mounts it, the same for every driver that exports folders this way.
 *
 * @since 0.3.0
 */
public final class NinePShares {
    private static final int MAX_TAG = 31;

    private NinePShares() {
    }

    /**
     * The 9p mount tag of a share: the name itself if it is short and plain, else its plain characters (others as
     * {@code _}) shortened, with 8 hex digits of its SHA-256 so that two names never share a tag.
     *
     * @param name the share's name, never null
     * @return at most 31 characters of {@code [A-Za-z0-9_-]}, never null
     */
    public static String mountTag(String name) {
        String clean = name.replaceAll("[^A-Za-z0-9_-]", "_");
        if (clean.equals(name) && clean.length() <= MAX_TAG) {
            return clean;
        }
        return clean.substring(0, Math.min(clean.length(), 22)) + "_" + sha256Hex(name).substring(0, 8);
    }

    /**
     * The shell command that mounts a share in the guest: loads the 9p modules where they are modules, creates the
     * mount point and mounts with {@code trans=virtio,version=9p2000.L}.
     *
     * @param tag       the share's mount tag ({@link #mountTag}), never null
     * @param guestPath absolute mount point in the guest, never null; quoted for the shell here
     * @param readOnly  whether to mount read-only
     * @return a command for {@code sh -c}, never null
     */
    public static String mountCommand(String tag, String guestPath, boolean readOnly) {
        String dir = "'" + guestPath.replace("'", "'\\''") + "'";
        // modprobe only when the modules are not there yet (a restored clone has them): each program costs under TCG
        return "{ [ -d /sys/module/9pnet_virtio ] || modprobe 9pnet_virtio 2>/dev/null; [ -d /sys/module/9p ]"
                + " || modprobe 9p 2>/dev/null; true; } && { [ -d " + dir + " ] || mkdir -p " + dir + "; }"
                + " && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144" + (readOnly ? ",ro" : "")
                + " " + tag + " " + dir;
    }

    private static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
