package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.OciIndexPublisher;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.SignatureVerifier;
import java.util.function.Function;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/** {@link OciIndexPublisher} over {@link OciClient}. */
public final class IndexTools implements OciIndexPublisher {
    private final OciClient client;
    private final String namespace;
    private final Function<String, Optional<SignatureVerifier>> verifiers;

    private IndexTools(OciClient client, String namespace, Function<String, Optional<SignatureVerifier>> verifiers) {
        this.client = client;
        this.namespace = namespace;
        this.verifiers = verifiers;
    }

    public static OciIndexPublisher open(URI namespace, Map<String, String> options,
                                         Function<String, Optional<String>> config,
                                         Function<String, Optional<SignatureVerifier>> verifiers) throws VboxmcpException {
        SourceConfig sc = new SourceConfig("publish", namespace, 0, options);
        OciTemplateSourceFactory.Target t = OciTemplateSourceFactory.target(sc);
        return new IndexTools(OciTemplateSourceFactory.client(sc, config, t), t.namespace(), verifiers);
    }

    @Override
    public byte[] build(long version, Instant expires) throws VboxmcpException {
        String indexRepo = namespace + "/" + SignedIndexes.INDEX_REPOSITORY;
        long v = version;
        if (v <= 0) {
            v = 1;
            Optional<byte[]> current = document(SignedIndexes.INDEX_TAG);
            if (current.isPresent()) {
                v = IndexDocument.parse(current.get()).version() + 1;
            }
        }
        // the names the newest root delegates are the publishers' to list, not the index's (REG-03)
        Map<String, Long> latest = latestTags(client.tags(indexRepo));
        Delegations delegated = Delegations.NONE;
        if (latest.containsKey("root")) {
            delegated = RootDocument.parse(document("root." + latest.get("root")).orElseThrow()).delegations();
        }
        ObjectNode root = Artifacts.JSON.createObjectNode();
        root.put("_type", IndexDocument.TYPE).put("version", v).put("expires", expires.toString())
                .put("published", Instant.now().toString());
        Delegations claimed = delegated;
        scan(root.putArray("templates"), name -> !claimed.claims(name));
        ArrayNode publishers = root.putArray("publishers");
        for (var e : latest.entrySet()) {
            if (e.getKey().startsWith("publisher.")) {
                byte[] doc = document(SignedIndexes.publisherTag(e.getKey().substring(10), e.getValue())).orElseThrow();
                PublisherDocument p = PublisherDocument.parse(doc);
                if (p.version() != e.getValue() || !p.role().equals(e.getKey().substring(10))) {
                    // consumers would refuse it (IDX-10): better the publisher of the index hears it now
                    throw new IndexRefusedException(IndexRefusedException.Reason.INCONSISTENT, "tag "
                            + SignedIndexes.publisherTag(e.getKey().substring(10), e.getValue()) + " holds " + p.role()
                            + " version " + p.version());
                }
                publishers.addObject().put("role", p.role()).put("version", p.version()).put("digest", Digests.sha256(doc));
            }
        }
        return pretty(root);
    }

    @Override
    public byte[] buildPublisher(String role, List<String> names, long version, Instant expires) throws VboxmcpException {
        ObjectNode pattern = Artifacts.JSON.createObjectNode();
        ObjectNode r = pattern.putArray("roles").addObject().put("name", role).put("threshold", 1);
        r.putArray("keys");
        names.forEach(r.putArray("names")::add);
        // the same checks a consumer makes: a role name and name patterns it accepts (keys are not needed here)
        Delegations.Delegation d = Delegations.parse(pattern, "publisher " + role, false).roles().get(0);
        long v = version > 0 ? version
                : latestTags(client.tags(namespace + "/" + SignedIndexes.INDEX_REPOSITORY)).getOrDefault("publisher." + role, 0L) + 1;
        ObjectNode doc = Artifacts.JSON.createObjectNode();
        doc.put("_type", PublisherDocument.TYPE).put("role", role).put("version", v).put("expires", expires.toString());
        scan(doc.putArray("templates"), d::covers);
        return pretty(doc);
    }

    /** Highest N of each {@code root.N} (as "root") and {@code publisher.<role>.N} (as "publisher.<role>") tag. */
    private static Map<String, Long> latestTags(List<String> tags) {
        Map<String, Long> out = new TreeMap<>();
        for (String t : tags) {
            int dot = t.lastIndexOf('.');
            String kind = dot < 0 ? "" : t.substring(0, dot);
            if ((kind.equals("root") || kind.startsWith("publisher.")) && t.substring(dot + 1).matches("[1-9][0-9]{0,9}")) {
                out.merge(kind, Long.parseLong(t.substring(dot + 1)), Math::max);
            }
        }
        return out;
    }

    private Optional<byte[]> document(String tag) throws VboxmcpException {
        String repo = namespace + "/" + SignedIndexes.INDEX_REPOSITORY;
        Optional<OciClient.Document> m = client.manifest(repo, tag);
        if (m.isEmpty()) {
            return Optional.empty();
        }
        JsonNode l = m.get().json().path("layers").path(0);
        return Optional.of(client.blobUpTo(repo, l.path("digest").asText(), l.path("size").asLong(-1), 64L << 20));
    }

    /** Adds every template version of the namespace whose name {@code include} accepts. */
    private void scan(ArrayNode templates, Predicate<String> include) throws VboxmcpException {
        List<String> repos = new ArrayList<>(client.catalog(namespace + "/"));
        repos.sort(null);
        for (String repo : repos) {
            String name = repo.substring(namespace.length() + 1);
            if (!TemplateRef.isValidName(name) || name.equals(SignedIndexes.INDEX_REPOSITORY) || !include.test(name)) {
                continue;
            }
            List<SemanticVersion> versions = new ArrayList<>();
            for (String tag : client.tags(repo)) {
                SemanticVersion sv = Artifacts.versionOfTag(tag);
                if (sv != null && Artifacts.tagOf(sv).equals(tag)) {
                    versions.add(sv);
                }
            }
            versions.sort(null);
            for (SemanticVersion sv : versions) {
                Optional<OciClient.Document> m = client.manifest(repo, Artifacts.tagOf(sv));
                if (m.isEmpty() || !Artifacts.TEMPLATE_TYPE.equals(m.get().json().path("artifactType").asText())) {
                    continue;
                }
                JsonNode a = m.get().json().path("annotations");
                ObjectNode e = templates.addObject();
                e.put("name", name).put("version", sv.toString()).put("digest", m.get().digest());
                if (a.hasNonNull(Artifacts.A_DESCRIPTION)) {
                    e.put("description", a.get(Artifacts.A_DESCRIPTION).asText());
                }
                ArrayNode tags = e.putArray("tags");
                String t = a.path(Artifacts.A_TAGS).asText("");
                if (!t.isEmpty()) {
                    Arrays.stream(t.split(",")).forEach(tags::add);
                }
                if (a.hasNonNull(Artifacts.A_AUTHORS)) {
                    e.put("author", a.get(Artifacts.A_AUTHORS).asText());
                }
            }
        }
    }

    private static byte[] pretty(ObjectNode n) throws VboxmcpException {
        try {
            return Artifacts.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.INTERNAL, "cannot write the document", e);
        }
    }

    @Override
    public String push(Path document, List<Path> signatureFiles, boolean root) throws VboxmcpException {
        byte[] doc = OciTemplateSourceFactory.read(document, 64 << 20);
        String tag;
        String layer;
        if (root) {
            tag = "root." + RootDocument.parse(doc).version();
            layer = Artifacts.ROOT_LAYER;
        } else if (Documents.object(doc, "document").path("_type").asText("").equals(PublisherDocument.TYPE)) {
            PublisherDocument p = PublisherDocument.parse(doc);
            tag = SignedIndexes.publisherTag(p.role(), p.version());
            layer = Artifacts.PUBLISHER_LAYER;
        } else {
            IndexDocument.parse(doc);
            tag = SignedIndexes.INDEX_TAG;
            layer = Artifacts.INDEX_LAYER;
        }
        List<DetachedSignature> sigs = new ArrayList<>();
        for (Path p : signatureFiles) {
            byte[] b = OciTemplateSourceFactory.read(p, 1 << 20);
            if (p.getFileName().toString().endsWith(".asc")) {
                sigs.add(new DetachedSignature("openpgp", b, p.getFileName().toString()));
            } else {
                sigs.addAll(OciTemplateSourceFactory.splitSsh(b, p.getFileName().toString()));
            }
        }
        return SignedIndexes.push(client, namespace, tag, layer, doc, sigs);
    }

    @Override
    public long verify(Path index, Path root, Instant now) throws VboxmcpException {
        return verify(index, root, List.of(), now);
    }

    @Override
    public long verify(Path index, Path root, List<Path> publishers, Instant now) throws VboxmcpException {
        Path tmp;
        try {
            tmp = Files.createTempDirectory("vboxmcp-index-verify-");
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot create a temp folder: " + e.getMessage(), e);
        }
        try {
            IndexTrust t = new IndexTrust(tmp, verifiers, OciTemplateSourceFactory.read(root, 1 << 20),
                    OciTemplateSourceFactory.signatures(root), now);
            t.checkRootFresh(now);
            t.updateIndex(OciTemplateSourceFactory.read(index, 64 << 20), OciTemplateSourceFactory.signatures(index), now);
            IndexDocument idx = t.index().orElseThrow();
            for (Path p : publishers) {
                byte[] doc = OciTemplateSourceFactory.read(p, 64 << 20);
                t.updatePublisher(PublisherDocument.parse(doc).role(), doc, OciTemplateSourceFactory.signatures(p), now);
            }
            if (!publishers.isEmpty()) {
                // every name as a consumer would look it up: the first refusal (signature, delegation, cap) is reported
                var first = DelegatedView.of(t, idx, now).refusals().entrySet().stream().findFirst();
                if (first.isPresent()) {
                    throw new IndexRefusedException(first.get().getValue().reason(), first.get().getKey() + ": "
                            + first.get().getValue().getMessage());
                }
            }
            return idx.version();
        } finally {
            try (var s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temp folder
            }
        }
    }
}
