package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.spi.TrustedKey;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Names handed to publisher roles (TUF's targets delegations, lighter): each role has its own keys, threshold and
 * name patterns, and may be terminating. The root delegates to the top-level publishers (so adding a publisher key
 * needs the offline root threshold, REG-07); a publisher's metadata may delegate further. Order matters: a lookup
 * tries delegations in the order written (see {@link DelegatedView}).
 * <pre>"delegations":{"keys":{"sha256:..":{"format":"ssh","key":"ssh-ed25519 AAAA.."}},
 *  "roles":[{"name":"b-corp","keys":["sha256:.."],"threshold":1,"names":["b-corp-*"],"terminating":true}]}</pre>
 */
record Delegations(List<Delegation> roles) {
    /** At most this many delegations in one document, and visited in one lookup (REG-04, as TUF's max_delegations). */
    static final int MAX_DELEGATIONS = 32;
    /** A role is a tag component ({@code publisher.<role>.<N>}) and a file name: nothing else gets that far. */
    static final Pattern ROLE = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    static final Delegations NONE = new Delegations(List.of());

    /**
     * One delegation: role {@code name} may list the template names its {@code patterns} match, signed by
     * {@code threshold} of {@code keys}. Patterns are globs over template names ({@code *} is any run of name
     * characters); names are flat ({@code b-corp-web}), so a TUF {@code b-corp/*} is written {@code b-corp-*}.
     */
    record Delegation(String name, List<TrustedKey> keys, int threshold, List<String> patterns, boolean terminating,
                      Pattern regex) {
        boolean covers(String template) {
            return regex.matcher(template).matches();
        }
    }

    static Delegations parse(JsonNode n, String what) throws IndexRefusedException {
        return parse(n, what, true);
    }

    /** @param needKeys false only for a publisher's own tools, which check patterns without the delegating keys */
    static Delegations parse(JsonNode n, String what, boolean needKeys) throws IndexRefusedException {
        if (n == null || n.isNull()) {
            return NONE;
        }
        if (!n.isObject() || !n.path("roles").isArray()) {
            throw new IndexRefusedException(Reason.MALFORMED, what + ": 'delegations' needs 'keys' and a list 'roles'");
        }
        Map<String, TrustedKey> keys = n.has("keys") ? keys(n.get("keys"), what, 0) : Map.of();
        JsonNode rs = n.get("roles");
        if (rs.size() > MAX_DELEGATIONS) {
            throw new IndexRefusedException(Reason.TOO_LARGE, what + " delegates to " + rs.size() + " roles; at most "
                    + MAX_DELEGATIONS + " (REG-04)");
        }
        List<Delegation> out = new ArrayList<>();
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode r : rs) {
            String name = Documents.text(r, "name");
            if (!ROLE.matcher(name).matches() || !names.add(name)) {
                throw new IndexRefusedException(Reason.MALFORMED, what + ": delegated role '" + OciClient.printable(name)
                        + "' is not a role name, or is named twice");
            }
            List<TrustedKey> roleKeys = new ArrayList<>();
            for (String id : Documents.ids(r, what + " role " + name, keys)) {
                roleKeys.add(keys.get(id));
            }
            int threshold = needKeys ? Documents.threshold(r, roleKeys.size(), what + " role " + name) : 1;
            List<String> patterns = new ArrayList<>();
            JsonNode ps = r.get("names");
            if (ps == null || !ps.isArray() || ps.isEmpty() || ps.size() > 64) {
                throw new IndexRefusedException(Reason.MALFORMED, what + ": role " + name + " needs 1 to 64 'names'");
            }
            for (JsonNode p : ps) {
                if (!p.isTextual() || !p.asText().matches("[a-z0-9*][a-z0-9*-]{0,62}")) {
                    throw new IndexRefusedException(Reason.MALFORMED, what + ": role " + name + " has name pattern '"
                            + OciClient.printable(p.asText()) + "' (letters, digits, '-' and '*' only)");
                }
                patterns.add(p.asText());
            }
            out.add(new Delegation(name, List.copyOf(roleKeys), threshold, List.copyOf(patterns),
                    r.path("terminating").asBoolean(false), glob(patterns)));
        }
        return new Delegations(List.copyOf(out));
    }

    /**
     * Reads a key map: each key's id is the SHA-256 of its text, computed here and compared with the document's, so
     * one key cannot count twice under two ids (KEY-04).
     *
     * @param min fewest keys the map must hold
     */
    static Map<String, TrustedKey> keys(JsonNode ks, String what, int min) throws IndexRefusedException {
        if (ks == null || !ks.isObject() || ks.size() < min || ks.size() > RootDocument.MAX_KEYS) {
            throw new IndexRefusedException(Reason.MALFORMED, what + ": 'keys' must hold " + min + " to "
                    + RootDocument.MAX_KEYS + " keys");
        }
        Map<String, TrustedKey> keys = new LinkedHashMap<>();
        var it = ks.fields();
        while (it.hasNext()) {
            var e = it.next();
            String format = Documents.text(e.getValue(), "format");
            String key = Documents.text(e.getValue(), "key").strip();
            if (!format.equals("ssh")) {
                // OpenPGP keys for roots and indexes are not supported yet (docs/oci.md): their fingerprints need BC
                throw new IndexRefusedException(Reason.MALFORMED, what + ": key format must be ssh");
            }
            byte[] material = key.getBytes(StandardCharsets.UTF_8);
            String id = Digests.sha256(material);
            if (!id.equals(e.getKey())) {
                throw new IndexRefusedException(Reason.MALFORMED, what + ": key id " + OciClient.printable(e.getKey())
                        + " is not the SHA-256 of its key (" + id + ")");
            }
            keys.put(id, new TrustedKey(format, sshFingerprint(key, what), material, "index key " + id.substring(7, 19)));
        }
        return Map.copyOf(keys);
    }

    /** OpenSSH's {@code SHA256:<base64 of the key blob's hash>}, as the SSH verifier matches pinned keys. */
    private static String sshFingerprint(String line, String what) throws IndexRefusedException {
        String[] parts = line.split("\\s+");
        try {
            byte[] blob = java.util.Base64.getDecoder().decode(parts.length > 1 ? parts[1] : "");
            return "SHA256:" + java.util.Base64.getEncoder().withoutPadding().encodeToString(Digests.sha256().digest(blob));
        } catch (IllegalArgumentException e) {
            throw new IndexRefusedException(Reason.MALFORMED, what + ": a key is not an OpenSSH public key line");
        }
    }

    /** @return whether any delegation here covers {@code template} */
    boolean claims(String template) {
        return roles.stream().anyMatch(d -> d.covers(template));
    }

    private static Pattern glob(List<String> patterns) {
        StringBuilder b = new StringBuilder();
        for (String p : patterns) {
            b.append(b.length() == 0 ? "" : "|").append(Pattern.quote(p).replace("*", "\\E[a-z0-9-]*\\Q"));
        }
        return Pattern.compile(b.toString());
    }
}
