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
        long v = version;
        if (v <= 0) {
            v = 1;
            Optional<OciClient.Document> current = client.manifest(namespace + "/" + SignedIndexes.INDEX_REPOSITORY,
                    SignedIndexes.INDEX_TAG);
            if (current.isPresent()) {
                JsonNode l = current.get().json().path("layers").path(0);
                byte[] doc = client.blobUpTo(namespace + "/" + SignedIndexes.INDEX_REPOSITORY, l.path("digest").asText(),
                        l.path("size").asLong(-1), 64L << 20);
                v = IndexDocument.parse(doc).version() + 1;
            }
        }
        ObjectNode root = Artifacts.JSON.createObjectNode();
        root.put("_type", IndexDocument.TYPE).put("version", v).put("expires", expires.toString())
                .put("published", Instant.now().toString());
        ArrayNode templates = root.putArray("templates");
        List<String> repos = new ArrayList<>(client.catalog(namespace + "/"));
        repos.sort(null);
        for (String repo : repos) {
            String name = repo.substring(namespace.length() + 1);
            if (!TemplateRef.isValidName(name) || name.equals(SignedIndexes.INDEX_REPOSITORY)) {
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
        try {
            return Artifacts.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.INTERNAL, "cannot write the index", e);
        }
    }

    @Override
    public String push(Path document, List<Path> signatureFiles, boolean root) throws VboxmcpException {
        byte[] doc = OciTemplateSourceFactory.read(document, 64 << 20);
        String tag;
        if (root) {
            tag = "root." + RootDocument.parse(doc).version();
        } else {
            IndexDocument.parse(doc);
            tag = SignedIndexes.INDEX_TAG;
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
        return SignedIndexes.push(client, namespace, tag, root, doc, sigs);
    }

    @Override
    public long verify(Path index, Path root, Instant now) throws VboxmcpException {
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
            return t.index().orElseThrow().version();
        } catch (IndexRefusedException e) {
            throw e;
        } finally {
            try (var s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temp folder
            }
        }
    }
}
