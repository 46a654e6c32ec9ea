package io.vboxmcp.core.internal.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One parsed image catalog: a JSON document listing base images by reference. The format (written by
 * {@code scripts/build-test-image.sh}):
 *
 * <pre>{@code
 * { "catalogVersion": 1,
 *   "images": [ { "reference": "vboxmcp-test:1",
 *                 "disk":   { "url": "disk.qcow2", "format": "qcow2", "sha256": "<hex>", "size": 123 },
 *                 "kernel": { "url": "vmlinuz", "sha256": "<hex>", "size": 45 },      (optional)
 *                 "initrd": { "url": "initrd.img", "sha256": "<hex>", "size": 67 },   (optional)
 *                 "kernelArgs": "console=ttyS0 root=/dev/vda" } ] }                   (optional)
 * }</pre>
 *
 * URLs are resolved against the catalog's own URI. A catalog served over HTTP(S) may not point at {@code file:}
 * URLs (a remote index must not name host files).
 */
record ImageCatalog(URI source, List<Entry> entries) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** A file of an image. */
    record Artifact(String role, URI url, String sha256, long size) {
        String digest() {
            return "sha256:" + sha256;
        }
    }

    /** One image. */
    record Entry(String reference, String description, Artifact disk, String diskFormat, Artifact kernel,
                 Artifact initrd, String kernelArgs) {
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
        for (JsonNode img : root.path("images")) {
            String ref = text(img, "reference");
            if (ref == null || ref.isBlank()) {
                throw invalid(source, "an image has no reference", null);
            }
            JsonNode disk = img.path("disk");
            if (!disk.isObject()) {
                throw invalid(source, ref + ": no disk", null);
            }
            String format = text(disk, "format");
            entries.add(new Entry(ref, text(img, "description"), artifact(source, ref, "disk", disk),
                    format == null ? "qcow2" : format.toLowerCase(Locale.ROOT),
                    img.has("kernel") ? artifact(source, ref, "kernel", img.get("kernel")) : null,
                    img.has("initrd") ? artifact(source, ref, "initrd", img.get("initrd")) : null,
                    text(img, "kernelArgs")));
        }
        return new ImageCatalog(source, List.copyOf(entries));
    }

    private static Artifact artifact(URI source, String ref, String role, JsonNode n) throws VboxmcpException {
        String url = text(n, "url");
        String sha = text(n, "sha256");
        if (url == null || url.isBlank()) {
            throw invalid(source, ref + ": " + role + " has no url", null);
        }
        if (sha == null || !SHA256.matcher(sha.toLowerCase(Locale.ROOT)).matches()) {
            // ART-03/ART-11: no usable digest, no download
            throw invalid(source, ref + ": " + role + " has no sha256 digest", null);
        }
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
        String sourceScheme = source.getScheme() == null ? "file" : source.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("file") && !sourceScheme.equals("file")) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "image catalog " + source + " points " + ref + "'s "
                    + role + " at a host file (" + resolved + "); a remote catalog may not");
        }
        long size = n.path("size").asLong(-1);
        return new Artifact(role, resolved, sha.toLowerCase(Locale.ROOT), size);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static VboxmcpException invalid(URI source, String why, Throwable cause) {
        return new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "image catalog " + source + " is invalid: " + why, cause);
    }
}
