package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.spi.TrustedKey;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The root of a source's index trust (TUF's root, without its weight): the keys, and for the roles {@code root}
 * and {@code index} which keys may sign and how many must. A key's id is the SHA-256 of its text, computed here and
 * compared with the document's, so one key cannot count twice under two ids (KEY-04).
 * <pre>{"_type":"vboxmcp-root","version":1,"expires":"2027-01-01T00:00:00Z",
 *  "keys":{"sha256:..":{"format":"ssh","key":"ssh-ed25519 AAAA.. label"}},
 *  "roles":{"root":{"keys":["sha256:.."],"threshold":1},"index":{"keys":["sha256:.."],"threshold":1}}}</pre>
 */
record RootDocument(long version, Instant expires, Map<String, TrustedKey> keys, Role root, Role index, byte[] bytes) {
    static final String TYPE = "vboxmcp-root";
    static final int MAX_KEYS = 32;

    record Role(Set<String> keyIds, int threshold) { }

    List<TrustedKey> keysOf(Role r) {
        List<TrustedKey> out = new ArrayList<>();
        r.keyIds().forEach(id -> out.add(keys.get(id)));
        return out;
    }

    static RootDocument parse(byte[] bytes) throws IndexRefusedException {
        JsonNode n = Documents.object(bytes, "root");
        Documents.type(n, TYPE);
        long version = Documents.version(n);
        Instant expires = Documents.instant(n, "expires");
        JsonNode ks = n.get("keys");
        if (ks == null || !ks.isObject() || ks.size() == 0 || ks.size() > MAX_KEYS) {
            throw new IndexRefusedException(Reason.MALFORMED, "root: 'keys' must hold 1 to " + MAX_KEYS + " keys");
        }
        Map<String, TrustedKey> keys = new LinkedHashMap<>();
        var it = ks.fields();
        while (it.hasNext()) {
            var e = it.next();
            String format = Documents.text(e.getValue(), "format");
            String key = Documents.text(e.getValue(), "key").strip();
            if (!format.equals("ssh")) {
                // OpenPGP keys for roots and indexes are not supported yet (docs/oci.md): their fingerprints need BC
                throw new IndexRefusedException(Reason.MALFORMED, "root: key format must be ssh");
            }
            byte[] material = key.getBytes(StandardCharsets.UTF_8);
            String id = Digests.sha256(material);
            if (!id.equals(e.getKey())) {
                throw new IndexRefusedException(Reason.MALFORMED, "root: key id " + OciClient.printable(e.getKey())
                        + " is not the SHA-256 of its key (" + id + ")");
            }
            keys.put(id, new TrustedKey(format, sshFingerprint(key), material, "index key " + id.substring(7, 19)));
        }
        JsonNode roles = n.get("roles");
        if (roles == null || !roles.isObject()) {
            throw new IndexRefusedException(Reason.MALFORMED, "root: 'roles' is missing");
        }
        return new RootDocument(version, expires, Map.copyOf(keys), role(roles, "root", keys), role(roles, "index", keys),
                bytes.clone());
    }

    /** OpenSSH's {@code SHA256:<base64 of the key blob's hash>}, as the SSH verifier matches pinned keys. */
    private static String sshFingerprint(String line) throws IndexRefusedException {
        String[] parts = line.split("\\s+");
        try {
            byte[] blob = java.util.Base64.getDecoder().decode(parts.length > 1 ? parts[1] : "");
            return "SHA256:" + java.util.Base64.getEncoder().withoutPadding().encodeToString(Digests.sha256().digest(blob));
        } catch (IllegalArgumentException e) {
            throw new IndexRefusedException(Reason.MALFORMED, "root: a key is not an OpenSSH public key line");
        }
    }

    private static Role role(JsonNode roles, String name, Map<String, TrustedKey> keys) throws IndexRefusedException {
        JsonNode r = roles.get(name);
        if (r == null || !r.isObject() || !r.path("keys").isArray() || !r.path("threshold").isInt()) {
            throw new IndexRefusedException(Reason.MALFORMED, "root: role '" + name + "' needs 'keys' and an integer 'threshold'");
        }
        Set<String> ids = new LinkedHashSet<>();
        for (JsonNode k : r.get("keys")) {
            if (!keys.containsKey(k.asText()) || !ids.add(k.asText())) {
                throw new IndexRefusedException(Reason.MALFORMED, "root: role '" + name
                        + "' names an unknown key or one key twice (KEY-04)");
            }
        }
        int threshold = r.get("threshold").asInt();
        if (threshold < 1 || threshold > ids.size()) {
            // a threshold above the number of keys can never be met (KEY-02)
            throw new IndexRefusedException(Reason.MALFORMED, "root: role '" + name + "' has threshold " + threshold
                    + " with " + ids.size() + " keys");
        }
        return new Role(Set.copyOf(ids), threshold);
    }
}
