package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.spi.DetachedSignature;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** The signatures of a trusted publisher document on disk: {@code [{"format":"ssh","signature":"<base64>"}]}. */
final class StoredSignatures {
    private StoredSignatures() {
    }

    static byte[] bytes(List<DetachedSignature> sigs) {
        ArrayNode a = Artifacts.JSON.createArrayNode();
        sigs.forEach(s -> a.addObject().put("format", s.format()).put("signature", Base64.getEncoder().encodeToString(s.bytes())));
        return Artifacts.bytes(a);
    }

    static List<DetachedSignature> parse(byte[] bytes) throws IndexRefusedException {
        List<DetachedSignature> out = new ArrayList<>();
        try {
            for (JsonNode s : Artifacts.JSON.readTree(bytes)) {
                out.add(new DetachedSignature(s.path("format").asText(), Base64.getDecoder().decode(s.path("signature").asText()),
                        "stored"));
            }
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new IndexRefusedException(Reason.MALFORMED, "stored publisher signatures are unreadable: " + e.getMessage());
        }
        return out;
    }
}
