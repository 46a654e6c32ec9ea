package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.spi.DetachedSignature;

import java.net.http.HttpRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A source's signed index in its registry: repository {@code <ns>/vboxmcp-index} holds each root under tag
 * {@code root.N}, the current index under tag {@code index} and each publisher's metadata under tag
 * {@code publisher.<role>.<N>}, each an artifact whose first layer is the document and whose further layers are
 * detached signatures over its bytes. {@link #current()} walks new roots one version at a time, takes the index, then
 * the publisher metadata versions the index lists, through {@link IndexTrust}'s rules, and resolves the delegations
 * ({@link DelegatedView}); a registry that cannot be reached (or lacks a publisher's listed metadata, IDX-16) leaves
 * the trusted state in use while the index has not expired (IDX-15), an attack is refused. Thread-safe.
 */
final class SignedIndexes {
    static final String INDEX_REPOSITORY = "vboxmcp-index";
    static final String INDEX_TAG = "index";
    static final int MAX_SIGNATURES = 16;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SignedIndexes.class);

    private final OciClient client;
    private final String repo;
    private final IndexTrust trust;
    private final Clock clock;
    private final long maxIndexBytes;
    private final Duration refreshEvery;
    private Instant refreshed;
    private DelegatedView view;

    SignedIndexes(OciClient client, String namespace, IndexTrust trust, Clock clock, long maxIndexBytes,
                  Duration refreshEvery) {
        this.client = client;
        this.repo = namespace + "/" + INDEX_REPOSITORY;
        this.trust = trust;
        this.clock = clock;
        this.maxIndexBytes = maxIndexBytes;
        this.refreshEvery = refreshEvery;
    }

    /** @return the trusted index and delegations, refreshed from the registry at most every {@code refreshEvery} */
    synchronized Optional<DelegatedView> current() throws VboxmcpException {
        Instant start = clock.instant();
        if (refreshed == null || !start.isBefore(refreshed.plus(refreshEvery))) {
            view = null;
            try {
                refresh(start);
                refreshed = start;
            } catch (IndexRefusedException attack) {
                throw attack;
            } catch (VboxmcpException unavailable) {
                Optional<IndexDocument> kept = trust.index();
                if (kept.isEmpty() || kept.get().expires().isBefore(start)) {
                    throw unavailable;
                }
                LOG.warn("index of {} not updated ({}); using trusted version {} until it expires on {}",
                        repo, unavailable.getMessage(), kept.get().version(), kept.get().expires());
            }
        }
        Optional<IndexDocument> idx = trust.index();
        if (idx.isPresent() && idx.get().expires().isBefore(start)) {
            throw new IndexRefusedException(Reason.EXPIRED, "the trusted index (version " + idx.get().version()
                    + ") expired on " + idx.get().expires() + " and no newer one could be had (freeze, IDX-04)");
        }
        if (idx.isEmpty()) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "registry " + client.origin() + " has no signed index in "
                    + repo + ":" + INDEX_TAG);
        }
        if (view == null || view.version() != idx.get().version()) {
            view = DelegatedView.of(trust, idx.get(), start);
        }
        return Optional.of(view);
    }

    /** Walks roots N+1, N+2 ... (at most {@value IndexTrust#MAX_ROTATIONS}), then takes the index. */
    void refresh(Instant start) throws VboxmcpException {
        for (int i = 0; ; i++) {
            if (i >= IndexTrust.MAX_ROTATIONS) {
                throw new IndexRefusedException(Reason.TOO_LARGE, "more than " + IndexTrust.MAX_ROTATIONS
                        + " root rotations at once (KEY-10)");
            }
            Optional<Signed> next = fetch("root." + (trust.root().version() + 1), Artifacts.ROOT_LAYER);
            if (next.isEmpty()) {
                break;
            }
            trust.rotateRoot(next.get().document(), next.get().signatures(), start);
        }
        trust.checkRootFresh(start);
        Optional<Signed> idx = fetch(INDEX_TAG, Artifacts.INDEX_LAYER);
        if (idx.isPresent()) {
            trust.updateIndex(idx.get().document(), idx.get().signatures(), start);
        }
        if (trust.index().isPresent()) {
            refreshPublishers(trust.index().get(), start);
        }
    }

    /**
     * Fetches each publisher's metadata the index lists at a version not yet trusted. One that is missing does not
     * stop the others; the index stays advanced and that publisher at its last good version, whose names the lookup
     * then refuses until its listed metadata can be had (IDX-16).
     */
    private void refreshPublishers(IndexDocument idx, Instant start) throws VboxmcpException {
        VboxmcpException missing = null;
        for (var p : idx.publishers().entrySet()) {
            Optional<IndexTrust.Stored> s = trust.publisher(p.getKey());
            if (s.isPresent() && Digests.sha256(s.get().document().bytes()).equals(p.getValue().digest())) {
                continue;
            }
            String tag = publisherTag(p.getKey(), p.getValue().version());
            Optional<Signed> doc = fetch(tag, Artifacts.PUBLISHER_LAYER);
            if (doc.isEmpty()) {
                missing = new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "index " + idx.version() + " lists publisher "
                        + p.getKey() + " version " + p.getValue().version() + " but " + repo + ":" + tag
                        + " does not exist; the publisher stays at its last good version (IDX-16)");
                continue;
            }
            trust.updatePublisher(p.getKey(), doc.get().document(), doc.get().signatures(), start);
        }
        if (missing != null) {
            throw missing;
        }
    }

    static String publisherTag(String role, long version) {
        return "publisher." + role + "." + version;
    }

    /** A document and the signatures that travelled with it. */
    record Signed(byte[] document, List<DetachedSignature> signatures) { }

    private Optional<Signed> fetch(String tag, String layerType) throws VboxmcpException {
        Optional<OciClient.Document> m = client.manifest(repo, tag);
        if (m.isEmpty()) {
            return Optional.empty();
        }
        JsonNode n = m.get().json();
        if (!Artifacts.INDEX_TYPE.equals(n.path("artifactType").asText())) {
            throw new IndexRefusedException(Reason.WRONG_DOCUMENT, repo + ":" + tag + " is not a vboxmcp index artifact");
        }
        JsonNode layers = n.path("layers");
        if (!layers.isArray() || layers.size() < 1 || layers.size() > 1 + MAX_SIGNATURES) {
            throw new IndexRefusedException(Reason.MALFORMED, repo + ":" + tag + " must hold a document and at most "
                    + MAX_SIGNATURES + " signatures");
        }
        JsonNode doc = layers.get(0);
        if (!layerType.equals(doc.path("mediaType").asText())) {
            // a root where the index is expected, or the other way round (IDX-17)
            throw new IndexRefusedException(Reason.WRONG_DOCUMENT, repo + ":" + tag + " holds "
                    + OciClient.printable(doc.path("mediaType").asText()) + ", not " + layerType + " (IDX-17)");
        }
        long size = doc.path("size").asLong(-1);
        if (size < 0 || size > maxIndexBytes) {
            throw new IndexRefusedException(Reason.TOO_LARGE, repo + ":" + tag + " is " + size + " bytes; the cap is "
                    + maxIndexBytes + " (IDX-13)");
        }
        byte[] document = client.blobUpTo(repo, doc.path("digest").asText(), size, maxIndexBytes);
        List<DetachedSignature> sigs = new ArrayList<>();
        for (int i = 1; i < layers.size(); i++) {
            JsonNode l = layers.get(i);
            String mt = l.path("mediaType").asText();
            if (!mt.startsWith(Artifacts.SIGNATURE_LAYER_PREFIX)) {
                continue;
            }
            String format = mt.substring(Artifacts.SIGNATURE_LAYER_PREFIX.length());
            sigs.add(new DetachedSignature(format, client.blobUpTo(repo, l.path("digest").asText(),
                    l.path("size").asLong(-1), 64 << 10), repo + ":" + tag + " layer " + i));
        }
        return Optional.of(new Signed(document, sigs));
    }

    /**
     * Publishes a signed document under {@code tag} (a root as {@code root.N}, the index as {@code index}, a
     * publisher's metadata as {@code publisher.<role>.<N>}), its first layer of type {@code layerType}.
     */
    static String push(OciClient client, String namespace, String tag, String layerType, byte[] document,
                       List<DetachedSignature> sigs) throws VboxmcpException {
        String repo = namespace + "/" + INDEX_REPOSITORY;
        ObjectNode m = Artifacts.JSON.createObjectNode();
        m.put("schemaVersion", 2).put("mediaType", OciClient.MANIFEST).put("artifactType", Artifacts.INDEX_TYPE);
        m.set("config", Artifacts.descriptor(OciClient.EMPTY, Digests.sha256(OciClient.EMPTY_BYTES), 2));
        client.pushBlob(repo, Digests.sha256(OciClient.EMPTY_BYTES), HttpRequest.BodyPublishers.ofByteArray(OciClient.EMPTY_BYTES));
        ArrayNode layers = m.putArray("layers");
        String dd = Digests.sha256(document);
        client.pushBlob(repo, dd, HttpRequest.BodyPublishers.ofByteArray(document));
        layers.add(Artifacts.descriptor(layerType, dd, document.length));
        for (DetachedSignature s : sigs) {
            byte[] b = s.bytes();
            String sd = Digests.sha256(b);
            client.pushBlob(repo, sd, HttpRequest.BodyPublishers.ofByteArray(b));
            layers.add(Artifacts.descriptor(Artifacts.SIGNATURE_LAYER_PREFIX + s.format(), sd, b.length));
        }
        byte[] bytes = Artifacts.bytes(m);
        client.putManifest(repo, tag, bytes, OciClient.MANIFEST);
        return Digests.sha256(bytes);
    }
}
