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
 * {@code root.N} and the current index under tag {@code index}, each an artifact whose first layer is the document
 * and whose further layers are detached signatures over its bytes. {@link #current()} walks new roots one version at
 * a time, then takes the index, through {@link IndexTrust}'s rules; a registry that cannot be reached leaves the
 * trusted index in use while it has not expired (IDX-15), an attack is refused. Thread-safe.
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

    SignedIndexes(OciClient client, String namespace, IndexTrust trust, Clock clock, long maxIndexBytes,
                  Duration refreshEvery) {
        this.client = client;
        this.repo = namespace + "/" + INDEX_REPOSITORY;
        this.trust = trust;
        this.clock = clock;
        this.maxIndexBytes = maxIndexBytes;
        this.refreshEvery = refreshEvery;
    }

    /** @return the trusted index, refreshed from the registry at most every {@code refreshEvery} */
    synchronized Optional<IndexDocument> current() throws VboxmcpException {
        Instant start = clock.instant();
        if (refreshed == null || !start.isBefore(refreshed.plus(refreshEvery))) {
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
        return idx;
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

    /** Publishes a signed document under {@code tag} (a root as {@code root.N}, the index as {@code index}). */
    static String push(OciClient client, String namespace, String tag, boolean root, byte[] document,
                       List<DetachedSignature> sigs) throws VboxmcpException {
        String repo = namespace + "/" + INDEX_REPOSITORY;
        ObjectNode m = Artifacts.JSON.createObjectNode();
        m.put("schemaVersion", 2).put("mediaType", OciClient.MANIFEST).put("artifactType", Artifacts.INDEX_TYPE);
        m.set("config", Artifacts.descriptor(OciClient.EMPTY, Digests.sha256(OciClient.EMPTY_BYTES), 2));
        client.pushBlob(repo, Digests.sha256(OciClient.EMPTY_BYTES), HttpRequest.BodyPublishers.ofByteArray(OciClient.EMPTY_BYTES));
        ArrayNode layers = m.putArray("layers");
        String dd = Digests.sha256(document);
        client.pushBlob(repo, dd, HttpRequest.BodyPublishers.ofByteArray(document));
        layers.add(Artifacts.descriptor(root ? Artifacts.ROOT_LAYER : Artifacts.INDEX_LAYER, dd, document.length));
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
