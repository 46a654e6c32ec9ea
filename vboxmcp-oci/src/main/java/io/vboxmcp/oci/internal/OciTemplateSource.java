package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.TemplatePublication;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.trust.PublishResult;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Templates in an OCI registry namespace: {@code oci://host[:port]/ns} holds repository {@code ns/<name>} per
 * template, one tag per version. Versions come from the signed index when the namespace has one (else from tags);
 * a version is pulled by the digest its tag (or the index) names, the digest of a version is pinned once seen (a
 * tag moved to other content is refused), and the package and its signatures are handed to core, which verifies
 * them against this source's pinned keys before extracting anything. Thread-safe.
 */
final class OciTemplateSource implements TemplateSource {
    private final SourceConfig config;
    private final OciClient client;
    private final String namespace;
    private final long maxPackage;
    private final PinnedDigests pins;
    private final SignedIndexes indexes;

    OciTemplateSource(SourceConfig config, OciClient client, String namespace, long maxPackage, PinnedDigests pins,
                      SignedIndexes indexes) {
        this.config = config;
        this.client = client;
        this.namespace = namespace;
        this.maxPackage = maxPackage;
        this.pins = pins;
        this.indexes = indexes;
    }

    @Override
    public SourceConfig config() {
        return config;
    }

    @Override
    public boolean remote() {
        return true;
    }

    private Optional<DelegatedView> index() throws VboxmcpException {
        return indexes == null ? Optional.empty() : indexes.current();
    }

    @Override
    public List<String> names() throws VboxmcpException {
        Optional<DelegatedView> idx = index();
        if (idx.isPresent()) {
            return idx.get().names();
        }
        List<String> out = new ArrayList<>();
        for (String repo : client.catalog(namespace + "/")) {
            String n = repo.substring(namespace.length() + 1);
            if (TemplateRef.isValidName(n) && !n.equals(SignedIndexes.INDEX_REPOSITORY)) {
                out.add(n);
            }
        }
        return out;
    }

    @Override
    public List<SemanticVersion> versions(String name) throws VboxmcpException {
        checkName(name);
        Optional<DelegatedView> idx = index();
        if (idx.isPresent()) {
            return idx.get().versions(name);
        }
        List<SemanticVersion> out = new ArrayList<>();
        for (String t : client.tags(namespace + "/" + name)) {
            SemanticVersion v = Artifacts.versionOfTag(t);
            // X.Y, X and latest are moving tags; only full versions count
            if (v != null && Artifacts.tagOf(v).equals(t)) {
                out.add(v);
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public List<TemplateInfo> describe() throws VboxmcpException {
        Optional<DelegatedView> idx = index();
        if (idx.isPresent()) {
            return idx.get().infos(config.id());
        }
        List<TemplateInfo> out = new ArrayList<>();
        for (String n : names()) {
            for (SemanticVersion v : versions(n)) {
                Optional<OciClient.Document> m = client.manifest(namespace + "/" + n, Artifacts.tagOf(v));
                if (m.isEmpty()) {
                    continue;
                }
                JsonNode a = m.get().json().path("annotations");
                String tags = a.path(Artifacts.A_TAGS).asText("");
                out.add(new TemplateInfo(n, v, a.hasNonNull(Artifacts.A_DESCRIPTION) ? a.get(Artifacts.A_DESCRIPTION).asText()
                        : null, tags.isEmpty() ? List.of() : Arrays.asList(tags.split(",")), config.id(),
                        a.hasNonNull(Artifacts.A_AUTHORS) ? a.get(Artifacts.A_AUTHORS).asText() : null));
            }
        }
        return out;
    }

    @Override
    public FetchedTemplate fetch(String name, SemanticVersion version, Path workDir) throws VboxmcpException {
        checkName(name);
        String repo = namespace + "/" + name;
        Optional<DelegatedView> idx = index();
        String ref;
        if (idx.isPresent()) {
            // the index names the digest: a tag is never asked, so a moved tag cannot mix in (IDX-09)
            ref = idx.get().digest(name, version).orElseThrow(() -> notFound(name, version));
        } else {
            ref = Artifacts.tagOf(version);
        }
        OciClient.Document m = client.manifest(repo, ref).orElseThrow(() -> notFound(name, version));
        if (idx.isPresent() && !m.digest().equals(ref)) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "registry sent " + m.digest() + " for " + name + " "
                    + version + " where the signed index lists " + ref + " (IDX-09)");
        }
        pins.check(name, version, m.digest());
        FetchedTemplate f = deliver(repo, m, name, version, workDir);
        pins.record(name, version, m.digest());
        return f;
    }

    @Override
    public FetchedTemplate fetchReference(String reference, Path workDir) throws VboxmcpException {
        int at = reference.indexOf('@');
        if (at < 0) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + OciClient.printable(reference)
                    + "' is not NAME@sha256:<hex>");
        }
        String name = reference.substring(0, at);
        String digest = reference.substring(at + 1);
        checkName(name);
        if (!OciClient.DIGEST.matcher(digest).matches()) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + OciClient.printable(digest)
                    + "' is not a sha256 digest");
        }
        String repo = namespace + "/" + name;
        OciClient.Document m = client.manifest(repo, digest).orElseThrow(() -> new TemplateNotFoundException(
                ErrorCode.TEMPLATE_NOT_FOUND, "no artifact " + repo + "@" + digest + " in " + client.origin(), null));
        String v = m.json().path("annotations").path(Artifacts.A_VERSION).asText("");
        SemanticVersion version;
        try {
            version = SemanticVersion.parse(v);
        } catch (io.vboxmcp.VersionFormatException e) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, repo + "@" + digest + " names no valid version");
        }
        return deliver(repo, m, name, version, workDir);
    }

    private FetchedTemplate deliver(String repo, OciClient.Document m, String name, SemanticVersion version, Path workDir)
            throws VboxmcpException {
        JsonNode layer = Artifacts.layer(m, Artifacts.TEMPLATE_TYPE, Artifacts.PACKAGE_LAYER, maxPackage,
                repo + ":" + version);
        JsonNode a = m.json().path("annotations");
        if (!name.equals(a.path(Artifacts.A_NAME).asText()) || !version.toString().equals(a.path(Artifacts.A_VERSION).asText())) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, repo + "@" + m.digest() + " is annotated as "
                    + OciClient.printable(a.path(Artifacts.A_NAME).asText()) + " "
                    + OciClient.printable(a.path(Artifacts.A_VERSION).asText()) + ", not " + name + " " + version);
        }
        Path pkg = workDir.resolve(name + "-" + Artifacts.tagOf(version) + ".tar.gz");
        client.pullBlob(repo, layer.path("digest").asText(), layer.path("size").asLong(), pkg);
        return new FetchedTemplate(name, version, pkg, signatures(repo, m.digest()), config.id(), true,
                "oci " + client.origin() + "/" + repo + "@" + m.digest(), null);
    }

    /** Signatures travel as referrers of the template manifest; a broken one is skipped (core counts valid ones). */
    private List<DetachedSignature> signatures(String repo, String digest) throws VboxmcpException {
        List<DetachedSignature> out = new ArrayList<>();
        for (JsonNode d : client.referrers(repo, digest)) {
            if (out.size() >= 16) {
                break;  // a threshold never needs more; a flood of referrers is not read
            }
            String artifactType = d.path("artifactType").asText();
            String md = d.path("digest").asText();
            if (!Artifacts.SIGNATURE_TYPE.equals(artifactType) || !OciClient.DIGEST.matcher(md).matches()) {
                continue;
            }
            Optional<OciClient.Document> sm = client.manifest(repo, md);
            if (sm.isEmpty() || !digest.equals(sm.get().json().path("subject").path("digest").asText())) {
                continue;
            }
            String format = sm.get().json().path("annotations").path(Artifacts.A_FORMAT).asText();
            if (!format.equals("openpgp") && !format.equals("ssh")) {
                continue;
            }
            JsonNode l = Artifacts.layer(sm.get(), Artifacts.SIGNATURE_TYPE, Artifacts.SIGNATURE_LAYER_PREFIX + format,
                    64 << 10, "signature " + md);
            byte[] sig = client.blob(repo, l.path("digest").asText(), l.path("size").asLong());
            out.add(new DetachedSignature(format, sig, "referrer " + md));
        }
        return out;
    }

    @Override
    public PublishResult publish(TemplatePublication publication) throws VboxmcpException {
        return new OciPublisher(client, namespace).publish(publication);
    }

    OciClient client() {
        return client;
    }

    String namespace() {
        return namespace;
    }

    private static void checkName(String name) throws VboxmcpException {
        // names are URL path components and file names: anything but a template name is refused (IDX-21)
        if (!TemplateRef.isValidName(name)) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + OciClient.printable(name)
                    + "' is not a template name");
        }
    }

    private TemplateNotFoundException notFound(String name, SemanticVersion v) {
        return new TemplateNotFoundException(ErrorCode.VERSION_NOT_FOUND, name + " " + v + " is not in "
                + config.id() + " (" + client.origin() + "/" + namespace + ")", null);
    }
}
