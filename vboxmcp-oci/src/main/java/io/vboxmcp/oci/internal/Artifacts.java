package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.util.Map;

/**
 * The shape of vboxmcp's OCI artifacts: media types, annotations, and deterministic manifest bytes (the same
 * package and metadata always give the same manifest digest, so publishing the same content twice is a no-op and
 * other content under a published version is recognised as a conflict).
 */
final class Artifacts {
    static final String TEMPLATE_TYPE = "application/vnd.vboxmcp.template.v1";
    static final String PACKAGE_LAYER = "application/vnd.vboxmcp.template.package.v1.tar+gzip";
    static final String SIGNATURE_TYPE = "application/vnd.vboxmcp.signature.v1";
    static final String SIGNATURE_LAYER_PREFIX = "application/vnd.vboxmcp.signature.";
    static final String INDEX_TYPE = "application/vnd.vboxmcp.index.v1";
    static final String INDEX_LAYER = "application/vnd.vboxmcp.index.v1+json";
    static final String ROOT_LAYER = "application/vnd.vboxmcp.root.v1+json";
    static final String PUBLISHER_LAYER = "application/vnd.vboxmcp.publisher.v1+json";

    static final String A_NAME = "io.vboxmcp.template.name";
    static final String A_VERSION = "io.vboxmcp.template.version";
    static final String A_MANIFEST_DIGEST = "io.vboxmcp.template.manifest-digest";
    static final String A_TAGS = "io.vboxmcp.template.tags";
    static final String A_FORMAT = "io.vboxmcp.signature.format";
    static final String A_SIGNATURE_BLOB = "io.vboxmcp.signature.blob";
    static final String A_DESCRIPTION = "org.opencontainers.image.description";
    static final String A_AUTHORS = "org.opencontainers.image.authors";
    static final String A_TITLE = "org.opencontainers.image.title";
    static final String A_OCI_VERSION = "org.opencontainers.image.version";

    static final ObjectMapper JSON = new ObjectMapper();

    private Artifacts() {
    }

    /** OCI tags cannot hold {@code +}; like Helm, build metadata is written with {@code _}. */
    static String tagOf(SemanticVersion v) {
        return v.toString().replace('+', '_');
    }

    static SemanticVersion versionOfTag(String tag) {
        try {
            return SemanticVersion.parse(tag.replace('_', '+'));
        } catch (RuntimeException | io.vboxmcp.VersionFormatException e) {
            return null;
        }
    }

    static ObjectNode descriptor(String mediaType, String digest, long size) {
        ObjectNode d = JSON.createObjectNode();
        d.put("mediaType", mediaType).put("digest", digest).put("size", size);
        return d;
    }

    static ObjectNode manifest(String artifactType, ObjectNode layer, Map<String, String> annotations, ObjectNode subject) {
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2).put("mediaType", OciClient.MANIFEST).put("artifactType", artifactType);
        m.set("config", descriptor(OciClient.EMPTY, Digests.sha256(OciClient.EMPTY_BYTES), OciClient.EMPTY_BYTES.length));
        ArrayNode layers = m.putArray("layers");
        layers.add(layer);
        if (subject != null) {
            m.set("subject", subject);
        }
        ObjectNode a = m.putObject("annotations");
        new java.util.TreeMap<>(annotations).forEach(a::put);
        return m;
    }

    static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** @return the one layer of {@code mediaType} of a manifest, checked: a digest, a size within {@code max} */
    static JsonNode layer(OciClient.Document m, String artifactType, String mediaType, long max, String what)
            throws VboxmcpException {
        JsonNode n = m.json();
        if (!OciClient.MANIFEST.equals(n.path("mediaType").asText(OciClient.MANIFEST))
                || !artifactType.equals(n.path("artifactType").asText())) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, what + " (" + m.digest() + ") is not a "
                    + artifactType + " artifact; refused");
        }
        JsonNode layers = n.path("layers");
        if (!layers.isArray() || layers.size() != 1 || !mediaType.equals(layers.get(0).path("mediaType").asText())) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, what + " (" + m.digest()
                    + ") must have exactly one layer of type " + mediaType);
        }
        JsonNode l = layers.get(0);
        String digest = l.path("digest").asText();
        long size = l.path("size").asLong(-1);
        if (!OciClient.DIGEST.matcher(digest).matches()) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, what + " names an unsupported layer digest");
        }
        if (size < 0 || size > max) {
            throw new VboxmcpException(ErrorCode.RESOURCE_LIMIT, what + " has a layer of " + size
                    + " bytes; the cap is " + max);
        }
        return l;
    }
}
