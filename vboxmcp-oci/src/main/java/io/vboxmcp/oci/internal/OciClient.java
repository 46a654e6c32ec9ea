package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OCI distribution API calls vboxmcp needs (spec v1.1): manifests by tag or digest, blobs, monolithic uploads,
 * tag lists, the catalog, and referrers with the tag-schema fallback. Every manifest's bytes are checked against
 * the digest asked for (or the one the registry claims); every blob is streamed through SHA-256 and its size
 * bounded. Thread-safe.
 */
final class OciClient {
    static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String INDEX = "application/vnd.oci.image.index.v1+json";
    static final String EMPTY = "application/vnd.oci.empty.v1+json";
    static final byte[] EMPTY_BYTES = "{}".getBytes(StandardCharsets.US_ASCII);
    /** OCI repository names (distribution spec): lower-case components, so no {@code ..}, {@code %}, {@code ?}. */
    static final Pattern REPOSITORY = Pattern.compile("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
    static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
    static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
    private static final int MAX_PAGES = 100;

    private final RegistryHttp http;
    private final URI base;
    private final long maxDocument;
    private final ObjectMapper json = new ObjectMapper();

    /** A manifest (or index) as the registry sent it, with the digest of exactly those bytes. */
    record Document(String digest, byte[] bytes, JsonNode json, String mediaType) { }

    OciClient(RegistryHttp http, long maxDocumentBytes) {
        this.http = http;
        Origin o = http.registry();
        this.base = URI.create(o.scheme() + "://" + (o.host().contains(":") && !o.host().startsWith("[")
                ? "[" + o.host() + "]" : o.host()) + ":" + o.port() + "/v2/");
        this.maxDocument = maxDocumentBytes;
    }

    Origin origin() {
        return http.registry();
    }

    static void checkRepository(String repo) throws VboxmcpException {
        if (repo.length() > 255 || !REPOSITORY.matcher(repo).matches()) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + printable(repo)
                    + "' is not an OCI repository name (lower-case letters, digits, . _ - separated by /)");
        }
    }

    static void checkReference(String ref) throws VboxmcpException {
        if (!TAG.matcher(ref).matches() && !DIGEST.matcher(ref).matches()) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + printable(ref) + "' is not a tag or sha256 digest");
        }
    }

    static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private URI uri(String repo, String kind, String ref) throws VboxmcpException {
        checkRepository(repo);
        checkReference(ref);
        return base.resolve(repo + "/" + kind + "/" + ref);
    }

    /** @return the manifest, or empty if the registry has none under {@code ref} */
    Optional<Document> manifest(String repo, String ref) throws VboxmcpException {
        RegistryHttp.Response r = http.send("GET", uri(repo, "manifests", ref), Map.of("Accept", MANIFEST + ", " + INDEX),
                HttpRequest.BodyPublishers.noBody(), maxDocument);
        if (r.status() == 404) {
            return Optional.empty();
        }
        expect(r, 200, "manifest " + repo + ":" + ref);
        String digest = Digests.sha256(r.body());
        if (DIGEST.matcher(ref).matches() && !digest.equals(ref)) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "registry " + http.registry() + " sent a manifest for "
                    + repo + "@" + ref + " whose bytes hash to " + digest);
        }
        Optional<String> claimed = r.header("Docker-Content-Digest");
        if (claimed.isPresent() && DIGEST.matcher(claimed.get()).matches() && !claimed.get().equals(digest)) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "registry " + http.registry() + " claims manifest "
                    + repo + ":" + ref + " is " + claimed.get() + " but its bytes hash to " + digest);
        }
        JsonNode n;
        try {
            n = json.readTree(r.body());
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "manifest " + repo + ":" + ref + " is not JSON");
        }
        if (n == null || !n.isObject() || n.path("schemaVersion").asInt() != 2) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "manifest " + repo + ":" + ref
                    + " is not an OCI manifest (schemaVersion 2)");
        }
        return Optional.of(new Document(digest, r.body(), n, n.path("mediaType").asText(
                r.header("Content-Type").orElse(""))));
    }

    /** Puts a manifest under a tag or its digest; @return the {@code OCI-Subject} header, if the registry sent one. */
    Optional<String> putManifest(String repo, String ref, byte[] bytes, String mediaType) throws VboxmcpException {
        RegistryHttp.Response r = http.send("PUT", uri(repo, "manifests", ref), Map.of("Content-Type", mediaType),
                HttpRequest.BodyPublishers.ofByteArray(bytes), maxDocument);
        expect(r, 201, "put manifest " + repo + ":" + ref);
        return r.header("OCI-Subject");
    }

    boolean blobExists(String repo, String digest) throws VboxmcpException {
        RegistryHttp.Response r = http.send("HEAD", uri(repo, "blobs", digest), Map.of(),
                HttpRequest.BodyPublishers.noBody(), 0);
        return r.status() == 200;
    }

    /** Uploads a blob in one request (POST then PUT), unless the registry has it already. */
    void pushBlob(String repo, String digest, HttpRequest.BodyPublisher body) throws VboxmcpException {
        if (blobExists(repo, digest)) {
            return;
        }
        checkRepository(repo);
        RegistryHttp.Response start = http.send("POST", base.resolve(repo + "/blobs/uploads/"), Map.of(),
                HttpRequest.BodyPublishers.noBody(), maxDocument);
        expect(start, 202, "start upload to " + repo);
        String loc = start.header("Location").orElseThrow(() -> new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE,
                "registry " + http.registry() + " started an upload without a Location"));
        URI put = start.uri().resolve(loc);
        String sep = put.getRawQuery() == null ? "?" : "&";
        put = URI.create(put + sep + "digest=" + URLEncoder.encode(digest, StandardCharsets.UTF_8));
        RegistryHttp.Response done = http.send("PUT", put, Map.of("Content-Type", "application/octet-stream"), body,
                maxDocument);
        expect(done, 201, "upload " + digest + " to " + repo);
    }

    /**
     * Streams a blob into {@code target}, checking size and digest; a blob that does not match is deleted.
     */
    void pullBlob(String repo, String digest, long size, Path target) throws VboxmcpException {
        if (!DIGEST.matcher(digest).matches()) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "unsupported digest '" + printable(digest) + "'");
        }
        MessageDigest md = Digests.sha256();
        int status;
        try (OutputStream out = new DigestOutputStream(Files.newOutputStream(target), md)) {
            status = http.download(uri(repo, "blobs", digest), "*/*", out, size);
        } catch (IOException e) {
            deleteQuietly(target);
            throw new VboxmcpException(ErrorCode.IO, "cannot write " + target + ": " + e.getMessage(), e);
        } catch (VboxmcpException | RuntimeException e) {
            deleteQuietly(target);
            throw e;
        }
        String got = "sha256:" + java.util.HexFormat.of().formatHex(md.digest());
        if (status != 200) {
            deleteQuietly(target);
            throw new VboxmcpException(status == 404 ? ErrorCode.TEMPLATE_NOT_FOUND : ErrorCode.SOURCE_UNAVAILABLE,
                    "registry " + http.registry() + " answered " + status + " for blob " + repo + "@" + digest);
        }
        if (!got.equals(digest) || RegistryHttp.size(target) != size) {
            deleteQuietly(target);
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "blob " + repo + "@" + digest + " from "
                    + http.registry() + " does not match its digest (got " + got + "); nothing kept");
        }
    }

    /** Reads a small blob (a signature, an index document) fully, checking its digest. */
    byte[] blob(String repo, String digest, long size) throws VboxmcpException {
        return blobUpTo(repo, digest, size, maxDocument);
    }

    /** Reads a blob of at most {@code cap} bytes fully, checking its size and digest. */
    byte[] blobUpTo(String repo, String digest, long size, long cap) throws VboxmcpException {
        if (size > cap || size < 0) {
            throw new VboxmcpException(ErrorCode.RESOURCE_LIMIT, "blob " + repo + "@" + digest + " claims " + size
                    + " bytes, over the cap of " + cap);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int status = http.download(uri(repo, "blobs", digest), "*/*", out, size);
        if (status != 200) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "registry " + http.registry() + " answered "
                    + status + " for blob " + repo + "@" + digest);
        }
        byte[] b = out.toByteArray();
        if (!Digests.sha256(b).equals(digest) || b.length != size) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "blob " + repo + "@" + digest + " from "
                    + http.registry() + " does not match its digest");
        }
        return b;
    }

    /** @return every tag of {@code repo} (following {@code Link} pages), empty if the repository does not exist */
    List<String> tags(String repo) throws VboxmcpException {
        checkRepository(repo);
        List<String> out = new ArrayList<>();
        URI next = base.resolve(repo + "/tags/list?n=1000");
        for (int page = 0; next != null; page++) {
            if (page >= MAX_PAGES) {
                throw new VboxmcpException(ErrorCode.RESOURCE_LIMIT, "registry " + http.registry() + " lists more than "
                        + MAX_PAGES + " pages of tags for " + repo);
            }
            RegistryHttp.Response r = http.send("GET", next, Map.of("Accept", "application/json"),
                    HttpRequest.BodyPublishers.noBody(), maxDocument);
            if (r.status() == 404) {
                return out;
            }
            expect(r, 200, "tags of " + repo);
            JsonNode tags = parse(r.body(), "tag list of " + repo).path("tags");
            if (tags.isArray()) {
                tags.forEach(t -> out.add(t.asText()));
            }
            next = nextPage(r);
        }
        return out;
    }

    /** @return repositories whose name starts with {@code prefix} (the {@code _catalog} extension), or empty */
    List<String> catalog(String prefix) throws VboxmcpException {
        List<String> out = new ArrayList<>();
        URI next = base.resolve("_catalog?n=1000");
        for (int page = 0; next != null; page++) {
            if (page >= MAX_PAGES) {
                throw new VboxmcpException(ErrorCode.RESOURCE_LIMIT, "registry " + http.registry()
                        + " lists more than " + MAX_PAGES + " pages of repositories");
            }
            RegistryHttp.Response r = http.send("GET", next, Map.of("Accept", "application/json"),
                    HttpRequest.BodyPublishers.noBody(), maxDocument);
            if (r.status() == 404 || r.status() == 401 || r.status() == 403) {
                return out;  // the catalog is optional in the spec; without it, names come from the index
            }
            expect(r, 200, "catalog");
            JsonNode repos = parse(r.body(), "catalog").path("repositories");
            if (repos.isArray()) {
                repos.forEach(t -> {
                    if (t.asText().startsWith(prefix)) {
                        out.add(t.asText());
                    }
                });
            }
            next = nextPage(r);
        }
        return out;
    }

    /**
     * @return descriptors of manifests that name {@code digest} as their subject: from the referrers API where the
     *         registry has it, else from the fallback tag {@code sha256-<hex>}
     */
    List<JsonNode> referrers(String repo, String digest) throws VboxmcpException {
        RegistryHttp.Response r = http.send("GET", uri(repo, "referrers", digest), Map.of("Accept", INDEX),
                HttpRequest.BodyPublishers.noBody(), maxDocument);
        JsonNode index;
        if (r.status() == 200 && r.header("Content-Type").orElse("").startsWith(INDEX)) {
            index = parse(r.body(), "referrers of " + repo + "@" + digest);
        } else {
            Optional<Document> fallback = manifest(repo, fallbackTag(digest));
            if (fallback.isEmpty()) {
                return List.of();
            }
            index = fallback.get().json();
        }
        List<JsonNode> out = new ArrayList<>();
        index.path("manifests").forEach(out::add);
        return out;
    }

    static String fallbackTag(String digest) {
        return digest.replace(':', '-');
    }

    private JsonNode parse(byte[] body, String what) throws VboxmcpException {
        try {
            JsonNode n = json.readTree(body);
            if (n == null || !n.isObject()) {
                throw new IOException("not an object");
            }
            return n;
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, what + " from " + http.registry() + " is not JSON");
        }
    }

    private URI nextPage(RegistryHttp.Response r) throws VboxmcpException {
        Optional<String> link = r.header("Link");
        if (link.isEmpty()) {
            return null;
        }
        Matcher m = NEXT.matcher(link.get());
        if (!m.find()) {
            return null;
        }
        URI next = r.uri().resolve(m.group(1));
        if (!Origin.of(next).equals(http.registry())) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "registry " + http.registry()
                    + " pages to another origin; refused");
        }
        return next;
    }

    private void expect(RegistryHttp.Response r, int status, String what) throws VboxmcpException {
        if (r.status() == status || status == 201 && r.status() == 200 || status == 202 && r.status() == 201) {
            return;
        }
        String detail = new String(r.body(), StandardCharsets.UTF_8);
        throw new VboxmcpException(r.status() == 401 || r.status() == 403 ? ErrorCode.SOURCE_UNAVAILABLE
                : ErrorCode.SOURCE_UNAVAILABLE, what + ": registry " + http.registry() + " answered " + r.status()
                + (detail.isBlank() ? "" : " " + printable(detail.strip())));
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file in the caller's work folder, which the caller deletes
        }
    }
}
