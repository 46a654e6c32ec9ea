package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The frozen template VMs of ready snapshots, on disk: each one's VirtualBox folder {@code <folder>/<template>/}, the
 * linked clones that depend on it ({@code <template>.clones/<clone uuid>}, one empty file each, written as soon as
 * the clone is registered), and {@code <template>.retired} once its snapshot was deleted while clones still used it
 * (the last clone's destroy then removes it). The snapshot folder the manager owns holds only a {@link Descriptor}.
 */
final class ReadyTemplates {
    /** The one file a VirtualBox ready snapshot puts into the manager's snapshot folder. */
    static final String DESCRIPTOR = "virtualbox-ready.properties";

    /**
     * What the snapshot folder records about its template VM.
     *
     * @param template  the template VM's name
     * @param uuid      its UUID
     * @param snapshot  the snapshot of it that clones are linked to
     * @param dvd       where the seed ISO goes in a clone (controller, port, device), null if the VM had none
     * @param files     every file of the template's folder that a clone reads (disks, saved states, NVRAM), by path
     *                  relative to that folder, with its {@code sha256:} digest
     */
    record Descriptor(String template, String uuid, String snapshot, Dvd dvd, Map<String, String> files) {
        void write(Path file) throws IOException {
            Properties p = new Properties();
            p.setProperty("template", template);
            p.setProperty("uuid", uuid);
            p.setProperty("snapshot", snapshot);
            if (dvd != null) {
                p.setProperty("dvd.controller", dvd.controller());
                p.setProperty("dvd.port", String.valueOf(dvd.port()));
                p.setProperty("dvd.device", String.valueOf(dvd.device()));
            }
            files.forEach((f, d) -> p.setProperty("file." + f, d));
            StringWriter w = new StringWriter();
            p.store(w, "vboxmcp VirtualBox ready snapshot; the template VM is frozen, do not start it");
            Files.writeString(file, w.toString(), StandardCharsets.UTF_8);
        }

        /** @throws IOException if missing or not a descriptor */
        static Descriptor read(Path file) throws IOException {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            Map<String, String> files = new TreeMap<>();
            p.stringPropertyNames().stream().filter(k -> k.startsWith("file."))
                    .forEach(k -> files.put(k.substring(5), p.getProperty(k)));
            String template = p.getProperty("template");
            if (template == null || !template.matches("vboxmcp-ready-[0-9a-f]{1,32}") || p.getProperty("uuid") == null
                    || p.getProperty("snapshot") == null || files.isEmpty()
                    || files.keySet().stream().anyMatch(f -> f.startsWith("/") || f.contains(".."))) {
                throw new IOException(file + " is not a VirtualBox ready-snapshot descriptor");
            }
            Dvd dvd = null;
            if (p.getProperty("dvd.controller") != null) {
                try {
                    dvd = new Dvd(p.getProperty("dvd.controller"), Integer.parseInt(p.getProperty("dvd.port")),
                            Integer.parseInt(p.getProperty("dvd.device")));
                } catch (NumberFormatException e) {
                    throw new IOException(file + " has a bad DVD slot", e);
                }
            }
            return new Descriptor(template, p.getProperty("uuid"), p.getProperty("snapshot"), dvd, files);
        }
    }

    /** @param controller storage controller name @param port its port @param device its device */
    record Dvd(String controller, int port, int device) { }

    private final Path folder;

    ReadyTemplates(Path folder) {
        this.folder = folder;
    }

    Path folder() {
        return folder;
    }

    /** @return the template VM's VirtualBox folder */
    Path dir(String template) {
        return folder.resolve(template);
    }

    void addClone(String template, String cloneUuid) throws IOException {
        Files.createDirectories(clones(template));
        Files.writeString(clones(template).resolve(cloneUuid), "");
    }

    void removeClone(String template, String cloneUuid) throws IOException {
        Files.deleteIfExists(clones(template).resolve(cloneUuid));
    }

    /** @return the UUIDs of the clones recorded as depending on {@code template} */
    List<String> clonesOf(String template) throws IOException {
        List<String> out = new ArrayList<>();
        if (Files.isDirectory(clones(template), LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.list(clones(template))) {
                s.map(p -> p.getFileName().toString()).sorted().forEach(out::add);
            }
        }
        return out;
    }

    void retire(String template) throws IOException {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve(template + ".retired"), "");
    }

    boolean retired(String template) {
        return Files.exists(folder.resolve(template + ".retired"));
    }

    /** Deletes what is left of the template's folder and bookkeeping (after VirtualBox deleted the VM). */
    void forget(String template) throws IOException {
        MasterVms.deleteTree(dir(template));
        MasterVms.deleteTree(clones(template));
        Files.deleteIfExists(folder.resolve(template + ".retired"));
    }

    private Path clones(String template) {
        return folder.resolve(template + ".clones");
    }

    /**
     * @return the digest of every file a clone reads from the template's folder: all but the settings files, which
     *         VirtualBox rewrites (its media registry), and logs
     */
    Map<String, String> digests(String template) throws VboxmcpException {
        Path root = dir(template);
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).toList()) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                String name = p.getFileName().toString();
                if (rel.startsWith("Logs/") || name.endsWith(".vbox") || name.endsWith(".vbox-prev")
                        || name.endsWith(".vbox-tmp")) {
                    continue;
                }
                out.put(rel, sha256(p));
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new HypervisorException(ErrorCode.IO, "could not read the template VM folder " + root + ": "
                    + e.getMessage(), e);
        }
        return out;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
