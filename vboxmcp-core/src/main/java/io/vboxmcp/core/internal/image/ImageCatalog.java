package io.vboxmcp.core.internal.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.Firmware;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One parsed image catalog: a JSON document listing base images by reference.
 *
 * <pre>{@code
 * { "catalogVersion": 1,
 *   "images": [ { "reference": "vboxmcp-test:1",
 *                 "description": "...",                                                 (optional)
 *                 "firmware": "any",                          (optional: bios, uefi or any; default any)
 *                 "disk":   { "url": "disk.qcow2", "format": "qcow2",         (format optional: from the magic)
 *                             "digest": "sha512:<hex>", "size": 123 },                       (size optional)
 *                 "kernel": { "url": "vmlinuz", "sha256": "<hex>", "size": 45 },                   (optional)
 *                 "initrd": { "url": "initrd.img", "sha256": "<hex>", "size": 67 },                (optional)
 *                 "kernelArgs": "console=ttyS0 root=/dev/vda" } ] }                                (optional)
 * }</pre>
 *
 * A file's digests are {@code "digest"} ({@code "<algorithm>:<hex>"}, or an array of them) and/or the fields
 * {@code "sha256"} and {@code "sha512"} (plain hex; the form {@code scripts/build-test-image.sh} writes). At least
 * one is required; every one listed is verified (ART-04); an unknown algorithm or malformed hex makes the whole
 * catalog invalid (ART-03), as does any other malformed entry: a catalog is trusted whole or not at all.
 *
 * <p>URLs are resolved against the catalog's own URI. A catalog that is not a local file (HTTP(S) or the built-in
 * one) may not name {@code file:} URLs nor climb out of its folder with {@code ..} (ART-08: a remote index must not
 * reach host files or other paths of its server).
 */
record ImageCatalog(URI source, List<Entry> entries) {
    /** Disk formats a catalog may declare. */
    static final Set<String> FORMATS = Set.of("qcow2", "raw", "vmdk", "vdi", "vhdx", "ova");

    /**
     * A file of an image.
     *
     * @param digests strongest first, at least one
     * @param size    declared bytes, -1 if unknown
     */
    record Artifact(String role, URI url, List<Digest> digests, long size) {
        /** @return the strongest digest: it names the cached file and {@code BaseImage.digest()} */
        Digest primary() {
            return digests.get(0);
        }
    }

    /**
     * One image.
     *
     * @param diskFormat the declared format, null if the catalog leaves it to the file's magic
     */
    record Entry(String reference, String description, Artifact disk, String diskFormat, Artifact kernel,
                 Artifact initrd, String kernelArgs, Firmware firmware) {
        List<Artifact> artifacts() {
            List<Artifact> l = new ArrayList<>();
            l.add(disk);
            if (kernel != null) {
                l.add(kernel);
            }
            if (initrd != null) {
                l.add(initrd);
            }
            return l;
        }
    }

    static ImageCatalog parse(URI source, byte[] json, ObjectMapper mapper) throws VboxmcpException {
        JsonNode root;
        try {
            root = mapper.readTree(json);
        } catch (IOException e) {
            throw invalid(source, "not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.path("images").isArray()) {
            throw invalid(source, "no \"images\" array", null);
        }
        List<Entry> entries = new ArrayList<>();
        Set<String> seen = new java.util.HashSet<>();
        for (JsonNode img : root.path("images")) {
            String ref = text(img, "reference");
            if (ref == null || ref.isBlank()) {
                throw invalid(source, "an image has no reference", null);
            }
            if (!seen.add(ref)) {
                throw invalid(source, "reference " + ref + " is listed twice", null);
            }
            JsonNode disk = img.path("disk");
            if (!disk.isObject()) {
                throw invalid(source, ref + ": no disk", null);
            }
            String format = text(disk, "format");
            if (format != null) {
                format = format.toLowerCase(Locale.ROOT);
                if (!FORMATS.contains(format)) {
                    throw invalid(source, ref + ": unknown disk format '" + format + "' (known: "
                            + String.join(", ", new java.util.TreeSet<>(FORMATS)) + ")", null);
                }
            }
            entries.add(new Entry(ref, text(img, "description"), artifact(source, ref, "disk", disk), format,
                    img.has("kernel") ? artifact(source, ref, "kernel", img.get("kernel")) : null,
                    img.has("initrd") ? artifact(source, ref, "initrd", img.get("initrd")) : null,
                    text(img, "kernelArgs"), firmware(source, ref, text(img, "firmware"))));
        }
        return new ImageCatalog(source, List.copyOf(entries));
    }

    private static Firmware firmware(URI source, String ref, String value) throws VboxmcpException {
        if (value == null) {
            return Firmware.ANY;
        }
        return switch (value) {
            case "bios" -> Firmware.BIOS;
            case "uefi" -> Firmware.UEFI;
            case "any" -> Firmware.ANY;
            default -> throw invalid(source, ref + ": unknown firmware '" + value + "' (bios, uefi or any)", null);
        };
    }

    private static Artifact artifact(URI source, String ref, String role, JsonNode n) throws VboxmcpException {
        if (!n.isObject()) {
            throw invalid(source, ref + ": " + role + " is not an object", null);
        }
        String url = text(n, "url");
        if (url == null || url.isBlank()) {
            throw invalid(source, ref + ": " + role + " has no url", null);
        }
        List<Digest> digests = digests(source, ref, role, n);
        URI resolved;
        try {
            resolved = source.resolve(url);
        } catch (IllegalArgumentException e) {
            throw invalid(source, ref + ": " + role + " url is malformed: " + url, e);
        }
        String scheme = resolved.getScheme() == null ? "" : resolved.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("file")) {
            throw invalid(source, ref + ": " + role + " url has an unsupported scheme: " + resolved, null);
        }
        boolean local = "file".equalsIgnoreCase(source.getScheme());
        if (!local && scheme.equals("file")) {
            // ART-08
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "image catalog " + source + " points " + ref + "'s "
                    + role + " at a host file (" + resolved + "); a remote catalog may not");
        }
        if (!local && climbs(url)) {
            // ART-08: '../' would reach paths of the server outside the catalog's folder
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "image catalog " + source + " points " + ref + "'s "
                    + role + " outside its folder with '..' (" + url + "); a remote catalog may not");
        }
        JsonNode size = n.get("size");
        if (size != null && !size.isNull() && (!size.canConvertToLong() || size.asLong() < 0)) {
            throw invalid(source, ref + ": " + role + " size is not a non-negative integer", null);
        }
        return new Artifact(role, resolved, digests, size == null || size.isNull() ? -1 : size.asLong());
    }

    /** @return whether a relative URL has a {@code ..} segment, also percent-encoded */
    private static boolean climbs(String url) {
        String path = url;
        int cut = indexOfAny(path, '?', '#');
        if (cut >= 0) {
            path = path.substring(0, cut);
        }
        String decoded = path.replace("%2e", ".").replace("%2E", ".").replace("%2f", "/").replace("%2F", "/")
                .replace('\\', '/');
        for (String seg : decoded.split("/", -1)) {
            if (seg.equals("..")) {
                return true;
            }
        }
        return false;
    }

    private static int indexOfAny(String s, char a, char b) {
        int i = s.indexOf(a);
        int j = s.indexOf(b);
        return i < 0 ? j : j < 0 ? i : Math.min(i, j);
    }

    private static List<Digest> digests(URI source, String ref, String role, JsonNode n) throws VboxmcpException {
        Map<String, Digest> byAlgo = new LinkedHashMap<>();
        List<String> written = new ArrayList<>();
        JsonNode d = n.get("digest");
        if (d != null && d.isTextual()) {
            written.add(d.asText());
        } else if (d != null && d.isArray()) {
            for (JsonNode x : d) {
                if (!x.isTextual()) {
                    throw invalid(source, ref + ": " + role + " digest list holds a non-string", null);
                }
                written.add(x.asText());
            }
        } else if (d != null && !d.isNull()) {
            throw invalid(source, ref + ": " + role + " digest is not \"<algorithm>:<hex>\"", null);
        }
        try {
            List<Digest> all = new ArrayList<>();
            for (String w : written) {
                all.add(Digest.parse(w));
            }
            for (String legacy : List.of("sha256", "sha512")) {
                String v = text(n, legacy);
                if (v != null) {
                    all.add(Digest.of(legacy, v));
                }
            }
            for (Digest x : all) {
                Digest prev = byAlgo.putIfAbsent(x.algorithm(), x);
                if (prev != null && !prev.equals(x)) {
                    throw new IllegalArgumentException("two different " + x.algorithm() + " digests");
                }
            }
        } catch (IllegalArgumentException e) {
            // ART-03: an unknown algorithm or a malformed value is never skipped
            throw invalid(source, ref + ": " + role + ": " + e.getMessage(), null);
        }
        if (byAlgo.isEmpty()) {
            // ART-03/ART-11: no usable digest, no download
            throw invalid(source, ref + ": " + role + " has no digest (\"digest\": \"sha256:<hex>\" or \"sha512:<hex>\")", null);
        }
        List<Digest> sorted = new ArrayList<>(byAlgo.values());
        sorted.sort(Comparator.comparingInt(x -> Digest.ALGORITHMS.indexOf(x.algorithm())));
        return List.copyOf(sorted);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static VboxmcpException invalid(URI source, String why, Throwable cause) {
        return new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "image catalog " + source + " is invalid: " + why, cause);
    }
}
