package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.spi.TrustedKey;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The root of a source's index trust (TUF's root, without its weight): the keys, and for the roles {@code root}
 * and {@code index} which keys may sign and how many must. A key's id is the SHA-256 of its text, computed here and
 * compared with the document's, so one key cannot count twice under two ids (KEY-04). Optional {@code delegations}
 * hand template names to publisher roles ({@link Delegations}): only the root threshold adds a publisher (REG-07).
 * <pre>{"_type":"vboxmcp-root","version":1,"expires":"2027-01-01T00:00:00Z",
 *  "keys":{"sha256:..":{"format":"ssh","key":"ssh-ed25519 AAAA.. label"}},
 *  "roles":{"root":{"keys":["sha256:.."],"threshold":1},"index":{"keys":["sha256:.."],"threshold":1}}}</pre>
 */
record RootDocument(long version, Instant expires, Map<String, TrustedKey> keys, Role root, Role index,
                    Delegations delegations, byte[] bytes) {
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
        Map<String, TrustedKey> keys = Delegations.keys(n.get("keys"), "root", 1);
        JsonNode roles = n.get("roles");
        if (roles == null || !roles.isObject()) {
            throw new IndexRefusedException(Reason.MALFORMED, "root: 'roles' is missing");
        }
        return new RootDocument(version, expires, keys, role(roles, "root", keys), role(roles, "index", keys),
                Delegations.parse(n.get("delegations"), "root"), bytes.clone());
    }

    private static Role role(JsonNode roles, String name, Map<String, TrustedKey> keys) throws IndexRefusedException {
        JsonNode r = roles.get(name);
        if (r == null || !r.isObject()) {
            throw new IndexRefusedException(Reason.MALFORMED, "root: role '" + name + "' needs 'keys' and an integer 'threshold'");
        }
        Set<String> ids = Documents.ids(r, "root: role '" + name + "'", keys);
        return new Role(Set.copyOf(ids), Documents.threshold(r, ids.size(), "root: role '" + name + "'"));
    }
}
