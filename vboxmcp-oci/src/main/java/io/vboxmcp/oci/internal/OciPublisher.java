package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.TemplatePublication;
import io.vboxmcp.trust.PublishResult;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Pushes one template version: the package blob, a manifest annotated with the template's identity, the tags
 * {@code X.Y.Z}, {@code X.Y}, {@code X}, {@code latest} (as Dev Container Features do: the short tags only move to the
 * highest release of their line), and each signature as a referrer (OCI 1.1), or in the fallback tag
 * {@code sha256-<hex>} where the registry has no referrers API. A version already published with another manifest
 * is refused (REG-02).
 */
final class OciPublisher {
    private final OciClient client;
    private final String namespace;

    OciPublisher(OciClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    PublishResult publish(TemplatePublication p) throws VboxmcpException {
        String repo = namespace + "/" + p.name();
        OciClient.checkRepository(repo);
        String packageDigest = fileDigest(p);
        long size = RegistryHttp.size(p.packageFile());
        Map<String, String> a = new LinkedHashMap<>();
        a.put(Artifacts.A_NAME, p.name());
        a.put(Artifacts.A_VERSION, p.version().toString());
        a.put(Artifacts.A_OCI_VERSION, p.version().toString());
        a.put(Artifacts.A_MANIFEST_DIGEST, p.manifestDigest());
        a.put(Artifacts.A_TITLE, p.name());
        if (p.description() != null) {
            a.put(Artifacts.A_DESCRIPTION, p.description());
        }
        if (p.author() != null) {
            a.put(Artifacts.A_AUTHORS, p.author());
        }
        if (!p.tags().isEmpty()) {
            a.put(Artifacts.A_TAGS, String.join(",", p.tags()));
        }
        ObjectNode layer = Artifacts.descriptor(Artifacts.PACKAGE_LAYER, packageDigest, size);
        layer.putObject("annotations").put(Artifacts.A_TITLE, p.name() + "-" + Artifacts.tagOf(p.version()) + ".tar.gz");
        byte[] manifest = Artifacts.bytes(Artifacts.manifest(Artifacts.TEMPLATE_TYPE, layer, a, null));
        String digest = Digests.sha256(manifest);
        String tag = Artifacts.tagOf(p.version());

        Optional<OciClient.Document> existing = client.manifest(repo, tag);
        boolean unchanged = existing.isPresent() && existing.get().digest().equals(digest);
        if (existing.isPresent() && !unchanged) {
            throw new VboxmcpException(ErrorCode.CONFLICT, p.name() + " " + p.version() + " is already published in "
                    + client.origin() + "/" + repo + " as " + existing.get().digest() + " with other content; versions "
                    + "are immutable, publish a new version (REG-02)");
        }
        pushBlob(repo, OciClient.EMPTY_BYTES);
        if (!unchanged) {
            client.pushBlob(repo, packageDigest, RegistryHttp.file(p.packageFile()));
            client.putManifest(repo, tag, manifest, OciClient.MANIFEST);
        }
        int signatures = pushSignatures(repo, digest, manifest.length, p.signatures());
        List<String> tags = new ArrayList<>(List.of(tag));
        for (String moving : movingTags(repo, p.version())) {
            client.putManifest(repo, moving, manifest, OciClient.MANIFEST);
            tags.add(moving);
        }
        return new PublishResult("oci://" + hostPort() + "/" + repo + "@" + digest, digest, p.manifestDigest(), tags,
                signatures, unchanged);
    }

    String hostPort() {
        Origin o = client.origin();
        return o.host() + ":" + o.port();
    }

    /** {@code X.Y}, {@code X} and {@code latest} move only when {@code v} is the highest release of their line. */
    private List<String> movingTags(String repo, SemanticVersion v) throws VboxmcpException {
        if (v.isPreRelease()) {
            return List.of();
        }
        List<SemanticVersion> all = new ArrayList<>();
        for (String t : client.tags(repo)) {
            SemanticVersion s = Artifacts.versionOfTag(t);
            if (s != null && !s.isPreRelease()) {
                all.add(s);
            }
        }
        all.add(v);
        List<String> out = new ArrayList<>();
        if (all.stream().filter(s -> s.major() == v.major() && s.minor() == v.minor()).allMatch(s -> s.compareTo(v) <= 0)) {
            out.add(v.major() + "." + v.minor());
        }
        if (all.stream().filter(s -> s.major() == v.major()).allMatch(s -> s.compareTo(v) <= 0)) {
            out.add(Long.toString(v.major()));
        }
        if (all.stream().allMatch(s -> s.compareTo(v) <= 0)) {
            out.add("latest");
        }
        return out;
    }

    private int pushSignatures(String repo, String subjectDigest, long subjectSize, List<DetachedSignature> sigs)
            throws VboxmcpException {
        if (sigs.isEmpty()) {
            return 0;
        }
        Set<String> present = new HashSet<>();
        for (JsonNode d : client.referrers(repo, subjectDigest)) {
            present.add(d.path("annotations").path(Artifacts.A_SIGNATURE_BLOB).asText());
        }
        ObjectNode subject = Artifacts.descriptor(OciClient.MANIFEST, subjectDigest, subjectSize);
        for (DetachedSignature s : sigs) {
            byte[] bytes = s.bytes();
            String blob = Digests.sha256(bytes);
            if (present.contains(blob)) {
                continue;
            }
            pushBlob(repo, bytes);
            Map<String, String> a = Map.of(Artifacts.A_FORMAT, s.format(), Artifacts.A_SIGNATURE_BLOB, blob);
            ObjectNode layer = Artifacts.descriptor(Artifacts.SIGNATURE_LAYER_PREFIX + s.format(), blob, bytes.length);
            byte[] m = Artifacts.bytes(Artifacts.manifest(Artifacts.SIGNATURE_TYPE, layer, a, subject));
            String md = Digests.sha256(m);
            Optional<String> ociSubject = client.putManifest(repo, md, m, OciClient.MANIFEST);
            if (ociSubject.isEmpty()) {
                addToFallbackIndex(repo, subjectDigest, md, m.length, a);
            }
        }
        return sigs.size();
    }

    /** The registry has no referrers API: keep the image index under {@code sha256-<hex>} listing the referrers. */
    private void addToFallbackIndex(String repo, String subject, String digest, long size, Map<String, String> a)
            throws VboxmcpException {
        String tag = OciClient.fallbackTag(subject);
        ObjectNode index = client.manifest(repo, tag).map(d -> (ObjectNode) d.json().deepCopy()).orElseGet(() -> {
            ObjectNode n = Artifacts.JSON.createObjectNode();
            n.put("schemaVersion", 2).put("mediaType", OciClient.INDEX);
            n.putArray("manifests");
            return n;
        });
        ArrayNode ms = index.withArray("manifests");
        for (JsonNode m : ms) {
            if (digest.equals(m.path("digest").asText())) {
                return;
            }
        }
        ObjectNode d = Artifacts.descriptor(OciClient.MANIFEST, digest, size);
        d.put("artifactType", Artifacts.SIGNATURE_TYPE);
        ObjectNode an = d.putObject("annotations");
        new java.util.TreeMap<>(a).forEach(an::put);
        ms.add(d);
        client.putManifest(repo, tag, Artifacts.bytes(index), OciClient.INDEX);
    }

    private void pushBlob(String repo, byte[] bytes) throws VboxmcpException {
        client.pushBlob(repo, Digests.sha256(bytes), HttpRequest.BodyPublishers.ofByteArray(bytes));
    }

    private static String fileDigest(TemplatePublication p) throws VboxmcpException {
        MessageDigest md = Digests.sha256();
        try (InputStream in = Files.newInputStream(p.packageFile())) {
            byte[] buf = new byte[64 << 10];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read " + p.packageFile() + ": " + e.getMessage(), e);
        }
        return "sha256:" + java.util.HexFormat.of().formatHex(md.digest());
    }
}
