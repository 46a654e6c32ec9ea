package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** Strict reads of the signed JSON documents: duplicate keys refused, types checked, versions bounded (IDX-12). */
final class Documents {
    /** Versions are positive and at most 2^31-1: a fast-forward to Long.MAX_VALUE is refused at parse. */
    static final long MAX_VERSION = Integer.MAX_VALUE;
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        STRICT.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build());
    }

    private Documents() {
    }

    static JsonNode object(byte[] bytes, String what) throws IndexRefusedException {
        try {
            JsonNode n = STRICT.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw new IndexRefusedException(Reason.MALFORMED, what + ": not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new IndexRefusedException(Reason.MALFORMED, what + ": not valid JSON ("
                    + OciClient.printable(String.valueOf(e.getMessage()).lines().findFirst().orElse("")) + ")");
        }
    }

    static void type(JsonNode n, String type) throws IndexRefusedException {
        String t = n.path("_type").asText("");
        if (!type.equals(t)) {
            // a validly signed document of another kind is not this one (IDX-17)
            throw new IndexRefusedException(Reason.WRONG_DOCUMENT, "expected a '" + type + "' document, got '"
                    + OciClient.printable(t) + "' (IDX-17)");
        }
    }

    static long version(JsonNode n) throws IndexRefusedException {
        JsonNode v = n.get("version");
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 1 || v.asLong() > MAX_VERSION) {
            throw new IndexRefusedException(Reason.MALFORMED, "'version' must be an integer from 1 to " + MAX_VERSION
                    + ", got " + (v == null ? "nothing" : OciClient.printable(v.toString())) + " (IDX-12)");
        }
        return v.asLong();
    }

    static Instant instant(JsonNode n, String field) throws IndexRefusedException {
        try {
            return Instant.parse(text(n, field));
        } catch (DateTimeParseException e) {
            throw new IndexRefusedException(Reason.MALFORMED, "'" + field + "' is not an ISO-8601 UTC time");
        }
    }

    /** The key ids a role names: each must be in {@code keys}, none twice (KEY-04). */
    static java.util.Set<String> ids(JsonNode role, String what, java.util.Map<String, ?> keys) throws IndexRefusedException {
        if (!role.path("keys").isArray()) {
            throw new IndexRefusedException(Reason.MALFORMED, what + " needs 'keys' and an integer 'threshold'");
        }
        java.util.Set<String> ids = new java.util.LinkedHashSet<>();
        for (JsonNode k : role.get("keys")) {
            if (!keys.containsKey(k.asText()) || !ids.add(k.asText())) {
                throw new IndexRefusedException(Reason.MALFORMED, what + " names an unknown key or one key twice (KEY-04)");
            }
        }
        return ids;
    }

    /** A role's threshold: at least 1 and at most its number of keys, which could never be met otherwise (KEY-02). */
    static int threshold(JsonNode role, int keys, String what) throws IndexRefusedException {
        if (!role.path("threshold").isInt()) {
            throw new IndexRefusedException(Reason.MALFORMED, what + " needs 'keys' and an integer 'threshold'");
        }
        int threshold = role.get("threshold").asInt();
        if (threshold < 1 || threshold > keys) {
            throw new IndexRefusedException(Reason.MALFORMED, what + " has threshold " + threshold + " with " + keys + " keys");
        }
        return threshold;
    }

    static String text(JsonNode n, String field) throws IndexRefusedException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IndexRefusedException(Reason.MALFORMED, "'" + field + "' must be a string");
        }
        return v.asText();
    }
}
