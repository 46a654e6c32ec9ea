package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.libvirt.LibvirtException;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The driver's storage pool on the libvirt host, local or remote: created as a {@code dir} pool when missing;
 * shared images uploaded once per digest ({@code virStorageVolUpload} through {@code virsh vol-upload}) and
 * verified there by size and digest, read back through {@code vol-download}, on every use; per-VM volumes
 * (overlays, seeds) made and removed.
 */
final class StoragePool {
    /** Uploads and downloads get this much time per MiB on top of the ordinary timeout (1 MiB/s worst case). */
    private static final Duration PER_MIB = Duration.ofSeconds(1);
    /** One upload per shared volume at a time in this JVM; the second create waits and then verifies it. */
    private static final Map<String, Object> LOCKS = new ConcurrentHashMap<>();
    /** Volumes this process has read back and found right ({@link LibvirtSettings#verifyEveryUse()} off). */
    private static final java.util.Set<String> VERIFIED = ConcurrentHashMap.newKeySet();

    private final LibvirtSettings settings;
    private final Virsh virsh;
    private volatile String targetPath;

    StoragePool(LibvirtSettings settings, Virsh virsh) {
        this.settings = settings;
        this.virsh = virsh;
    }

    String name() {
        return settings.pool();
    }

    /** Makes sure the pool exists and runs; @return its target folder on the libvirt host. */
    synchronized String ensure() throws HypervisorException {
        if (targetPath != null) {
            return targetPath;
        }
        String pool = settings.pool();
        if (!virsh.runIfPresent("look up pool " + pool, "pool-info", pool)) {
            try {
                virsh.run("define pool " + pool, "pool-define-as", pool, "dir", "--target", settings.poolPath());
                virsh.run("build pool " + pool, "pool-build", pool);
                virsh.run("autostart pool " + pool, "pool-autostart", pool);
            } catch (LibvirtException e) {
                if (e.kind() != LibvirtException.Kind.ALREADY_EXISTS) {
                    throw e;
                }
            }
        }
        String info = virsh.run("look up pool " + pool, "pool-info", pool);
        if (!info.matches("(?s).*State:\\s+running.*")) {
            virsh.run("start pool " + pool, "pool-start", pool);
        }
        targetPath = parseTargetPath(virsh.run("read pool " + pool, "pool-dumpxml", pool));
        return targetPath;
    }

    static String parseTargetPath(String poolXml) throws HypervisorException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document d = f.newDocumentBuilder().parse(new ByteArrayInputStream(poolXml.getBytes(StandardCharsets.UTF_8)));
            var targets = d.getDocumentElement().getElementsByTagName("target");
            for (int i = 0; i < targets.getLength(); i++) {
                var paths = ((org.w3c.dom.Element) targets.item(i)).getElementsByTagName("path");
                if (paths.getLength() > 0 && paths.item(0).getTextContent().startsWith("/")) {
                    return paths.item(0).getTextContent().strip();
                }
            }
        } catch (Exception e) {
            throw new HypervisorException("unreadable pool XML from libvirt: " + e.getMessage(), e);
        }
        throw new HypervisorException("the storage pool has no target path; use a dir pool (" + "libvirt.pool" + ")");
    }

    /** @return the volume's path on the libvirt host: a dir pool keeps volumes as files named after them */
    String path(String volume) throws HypervisorException {
        return ensure() + "/" + volume;
    }

    /**
     * Makes sure the shared volume {@code volume} holds exactly {@code file} (whose digest is {@code digest}):
     * reads it back and checks size and digest (once per process, or on every use), uploads it if missing and
     * checks the upload the same way; a volume that exists with other
     * content is refused ({@code DIGEST_MISMATCH}), never overwritten, since other machines' overlays may use it.
     *
     * @return whether it was uploaded now
     */
    boolean ensureShared(String volume, Path file, String digest) throws VboxmcpException {
        String key = settings.uri() + "|" + settings.pool() + "|" + volume;
        synchronized (LOCKS.computeIfAbsent(key, k -> new Object())) {
            long size = size(file);
            if (!settings.verifyEveryUse() && VERIFIED.contains(key + "|" + digest)) {
                return false;
            }
            boolean uploaded = false;
            try {
                verify(volume, size, digest);
            } catch (LibvirtException e) {
                if (e.kind() != LibvirtException.Kind.NOT_FOUND) {
                    throw e;
                }
                upload(volume, file, size);
                uploaded = true;
                try {
                    verify(volume, size, digest);
                } catch (VboxmcpException v) {
                    deleteQuietly(volume);
                    throw v;
                }
            }
            VERIFIED.add(key + "|" + digest);
            return uploaded;
        }
    }

    /** Creates {@code volume} (raw, the file's size) and uploads {@code file}; removed again if the upload fails. */
    void upload(String volume, Path file, long size) throws HypervisorException {
        virsh.run("create volume " + volume, "vol-create-as", settings.pool(), volume, Long.toString(size), "--format", "raw");
        try {
            virsh.run("upload " + file.getFileName() + " to volume " + volume, transferTimeout(size),
                    "vol-upload", "--pool", settings.pool(), volume, file.toString());
        } catch (HypervisorException e) {
            deleteQuietly(volume);
            throw e;
        }
    }

    /** Reads the volume back and compares its size and digest with what we uploaded. */
    void verify(String volume, long size, String digest) throws VboxmcpException {
        String[] parts = digest.split(":", 2);
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(parts[0].toUpperCase(Locale.ROOT).replace("SHA", "SHA-"));
        } catch (NoSuchAlgorithmException | ArrayIndexOutOfBoundsException e) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "unsupported digest " + digest, null);
        }
        CountingOutputStream counter = new CountingOutputStream();
        try (DigestOutputStream out = new DigestOutputStream(counter, md)) {
            virsh.exec("read back volume " + volume, transferTimeout(size), out, "vol-download", "--pool",
                    settings.pool(), volume, "/dev/stdout");
        } catch (IOException e) {
            throw new HypervisorException("could not read back volume " + volume + ": " + e.getMessage(), e);
        }
        String got = parts[0] + ":" + HexFormat.of().formatHex(md.digest());
        if (counter.count != size || !got.equalsIgnoreCase(digest)) {
            throw new HypervisorException(ErrorCode.DIGEST_MISMATCH, "volume " + volume + " in pool " + settings.pool()
                    + " on " + settings.uri() + " does not hold the verified image (" + counter.count + " bytes, " + got
                    + "; expected " + size + " bytes, " + digest + "); remove it with 'virsh vol-delete --pool "
                    + settings.pool() + " " + volume + "' once no machine uses it", null);
        }
    }

    /** Creates a qcow2 overlay of {@code size} bytes on the shared volume {@code base}. */
    void createOverlay(String volume, long size, String base, String baseFormat) throws HypervisorException {
        virsh.run("create overlay " + volume, "vol-create-as", settings.pool(), volume, Long.toString(size),
                "--format", "qcow2", "--backing-vol", base, "--backing-vol-format", baseFormat);
    }

    /** Copies the volume's content into {@code sink}. */
    void download(String volume, OutputStream sink, long maxBytes) throws HypervisorException {
        virsh.exec("download volume " + volume, transferTimeout(maxBytes), sink, "vol-download", "--pool",
                settings.pool(), volume, "/dev/stdout");
    }

    /** @return the last {@code lines} lines within the last {@code maxBytes} bytes of a (log) volume */
    String tail(String volume, long maxBytes, int lines) throws HypervisorException {
        String info = virsh.run("read volume " + volume, "vol-info", "--bytes", "--pool", settings.pool(), volume);
        long size = info.lines().filter(l -> l.startsWith("Capacity:")).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).orElse(0L);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        virsh.exec("read volume " + volume, settings.timeout(), out, "vol-download", "--pool", settings.pool(), volume,
                "/dev/stdout", "--offset", Long.toString(Math.max(0, size - maxBytes)));
        List<String> all = out.toString(StandardCharsets.UTF_8).lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** Removes a volume; @return false if it did not exist */
    boolean delete(String volume) throws HypervisorException {
        return virsh.runIfPresent("delete volume " + volume, "vol-delete", "--pool", settings.pool(), volume);
    }

    private void deleteQuietly(String volume) {
        try {
            delete(volume);
        } catch (HypervisorException ignored) {
            // the caller reports the original failure
        }
    }

    private Duration transferTimeout(long bytes) {
        return settings.timeout().plus(PER_MIB.multipliedBy(bytes / (1024 * 1024) + 1));
    }

    static long size(Path file) throws HypervisorException {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The size a guest sees: a qcow2 header's virtual size (big-endian at offset 24), else the file's size. */
    static long virtualSize(Path file, String format) throws HypervisorException {
        if (!"qcow2".equals(format)) {
            return size(file);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] h = in.readNBytes(32);
            if (h.length < 32 || h[0] != 'Q' || h[1] != 'F' || h[2] != 'I' || (h[3] & 0xff) != 0xfb) {
                throw new HypervisorException(ErrorCode.IMAGE_INVALID, file + " is not a qcow2 image", null);
            }
            return java.nio.ByteBuffer.wrap(h, 24, 8).getLong();
        } catch (IOException e) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** sha256 of a local file, as {@code sha256:<hex>}. */
    static String sha256(Path file) throws HypervisorException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), md));
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static final class CountingOutputStream extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
