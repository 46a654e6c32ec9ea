package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.template.TemplateInfo;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A source's signed index: every template version with the digest of its artifact, for listings, search and
 * mix-and-match protection. Unknown fields are allowed (they are inside the signed bytes, IDX-18).
 * <pre>{"_type":"vboxmcp-index","version":6,"expires":"...",
 *  "templates":[{"name":"web-demo","version":"1.0.0","digest":"sha256:..","description":"..","tags":["web"],
 *                "author":"..","published":"2026-11-30T12:00:00Z"}],
 *  "removed":[{"name":"old","version":"0.1.0"}],
 *  "publishers":[{"role":"b-corp","version":3,"digest":"sha256:.."}]}</pre>
 * {@code publishers} is TUF's snapshot: the one version (and the SHA-256 of the bytes) of each publisher's metadata
 * that goes with this index, so an old publisher document cannot be combined with it (IDX-10).
 */
record IndexDocument(long version, Instant expires, List<Entry> entries, Set<String> removed,
                     Map<String, PublisherRef> publishers, byte[] bytes) {
    static final String TYPE = "vboxmcp-index";
    static final int MAX_ENTRIES = 200_000;

    /** One template version as the index lists it. */
    record Entry(String name, SemanticVersion version, String digest, String description, List<String> tags,
                 String author, String published) {
        String key() {
            return name + "@" + version;
        }
    }

    /** The version and document digest of one publisher's metadata, as the index lists it. */
    record PublisherRef(long version, String digest) { }

    static IndexDocument parse(byte[] bytes) throws IndexRefusedException {
        JsonNode n = Documents.object(bytes, "index");
        Documents.type(n, TYPE);
        long version = Documents.version(n);
        Instant expires = Documents.instant(n, "expires");
        List<Entry> entries = entries(n.get("templates"), "index");
        return new IndexDocument(version, expires, entries, removed(n.get("removed")), publishers(n.get("publishers")),
                bytes.clone());
    }

    /** The {@code removed} list (tombstones, IDX-08) as {@code name@version} keys. */
    static Set<String> removed(JsonNode rs) throws IndexRefusedException {
        Set<String> removed = new HashSet<>();
        if (rs != null) {
            if (!rs.isArray()) {
                throw new IndexRefusedException(Reason.MALFORMED, "'removed' must be a list");
            }
            for (JsonNode r : rs) {
                removed.add(name(r) + "@" + version(r));
            }
        }
        return Set.copyOf(removed);
    }

    private static Map<String, PublisherRef> publishers(JsonNode ps) throws IndexRefusedException {
        if (ps == null) {
            return Map.of();
        }
        if (!ps.isArray() || ps.size() > 4096) {
            throw new IndexRefusedException(Reason.MALFORMED, "index: 'publishers' must be a list of at most 4096");
        }
        Map<String, PublisherRef> out = new LinkedHashMap<>();
        for (JsonNode p : ps) {
            String role = Documents.text(p, "role");
            String digest = Documents.text(p, "digest");
            if (!Delegations.ROLE.matcher(role).matches() || !OciClient.DIGEST.matcher(digest).matches()
                    || out.put(role, new PublisherRef(Documents.version(p), digest)) != null) {
                throw new IndexRefusedException(Reason.MALFORMED, "index: publisher '" + OciClient.printable(role)
                        + "' is not a role name with a version and a sha256 digest, or is listed twice");
            }
        }
        return Map.copyOf(out);
    }

    /** The {@code templates} list of an index or publisher document, checked (IDX-21, REG-01). */
    static List<Entry> entries(JsonNode ts, String what) throws IndexRefusedException {
        if (ts == null || !ts.isArray() || ts.size() > MAX_ENTRIES) {
            throw new IndexRefusedException(Reason.MALFORMED, what + ": 'templates' must be a list of at most " + MAX_ENTRIES);
        }
        List<Entry> entries = new ArrayList<>(ts.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode t : ts) {
            String name = name(t);
            SemanticVersion v = version(t);
            String digest = Documents.text(t, "digest");
            if (!OciClient.DIGEST.matcher(digest).matches()) {
                throw new IndexRefusedException(Reason.MALFORMED, what + ": " + name + " " + v + " has no sha256 digest");
            }
            Entry e = new Entry(name, v, digest, t.hasNonNull("description") ? t.get("description").asText() : null,
                    tags(t), t.hasNonNull("author") ? t.get("author").asText() : null,
                    t.hasNonNull("published") ? t.get("published").asText() : null);
            if (!seen.add(e.key())) {
                // one version, two digests: which one a client gets must not depend on order (REG-01)
                throw new IndexRefusedException(Reason.INCONSISTENT, what + " lists " + e.key() + " twice (REG-01)");
            }
            entries.add(e);
        }
        return List.copyOf(entries);
    }

    private static String name(JsonNode t) throws IndexRefusedException {
        String name = Documents.text(t, "name");
        if (!TemplateRef.isValidName(name)) {
            // a name is a URL path component and a folder name: ../x, %2e%2e, ? and the like never get that far (IDX-21)
            throw new IndexRefusedException(Reason.MALFORMED, "index names '" + OciClient.printable(name)
                    + "', which is not a template name (IDX-21)");
        }
        return name;
    }

    private static SemanticVersion version(JsonNode t) throws IndexRefusedException {
        try {
            return SemanticVersion.parse(Documents.text(t, "version"));
        } catch (VersionFormatException e) {
            throw new IndexRefusedException(Reason.MALFORMED, "index: " + e.getMessage());
        }
    }

    private static List<String> tags(JsonNode t) {
        List<String> out = new ArrayList<>();
        t.path("tags").forEach(x -> out.add(x.asText()));
        return out;
    }

    List<String> names() {
        return entries.stream().map(Entry::name).distinct().sorted().toList();
    }

    List<SemanticVersion> versions(String name) {
        return entries.stream().filter(e -> e.name().equals(name)).map(Entry::version).sorted().toList();
    }

    Optional<String> digest(String name, SemanticVersion v) {
        return entries.stream().filter(e -> e.name().equals(name) && e.version().equals(v)).map(Entry::digest).findFirst();
    }

    List<TemplateInfo> infos(String sourceId) {
        return entries.stream().map(e -> new TemplateInfo(e.name(), e.version(), e.description(), e.tags(), sourceId,
                e.author()))
                .toList();
    }

    /**
     * Checks that this index may follow {@code older}: no version listed there vanishes without being marked
     * removed (IDX-08), none changes digest (REG-02), and no template's highest version goes down (IDX-07).
     */
    void checkSuccessorOf(IndexDocument older) throws IndexRefusedException {
        Map<String, Entry> now = new LinkedHashMap<>();
        entries.forEach(e -> now.put(e.key(), e));
        Map<String, SemanticVersion> highestBefore = new TreeMap<>();
        for (Entry e : older.entries()) {
            highestBefore.merge(e.name(), e.version(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
            Entry n = now.get(e.key());
            if (n == null && !removed.contains(e.key())) {
                throw new IndexRefusedException(Reason.INCONSISTENT, "index " + version + " drops " + e.key()
                        + " that index " + older.version() + " listed, without marking it removed (IDX-08)");
            }
            if (n != null && !n.digest().equals(e.digest())) {
                throw new IndexRefusedException(Reason.INCONSISTENT, "index " + version + " lists " + e.key() + " as "
                        + n.digest() + "; index " + older.version() + " listed " + e.digest()
                        + " (versions are immutable, REG-02)");
            }
        }
        for (var p : older.publishers().entrySet()) {
            PublisherRef now2 = publishers.get(p.getKey());
            if (now2 == null || now2.version() < p.getValue().version()) {
                // TUF's snapshot rule: a publisher's metadata never goes back, nor vanishes, from one index to the next
                throw new IndexRefusedException(Reason.ROLLBACK, "index " + version + " lists publisher " + p.getKey()
                        + " at version " + (now2 == null ? "none" : now2.version()) + "; index " + older.version()
                        + " listed version " + p.getValue().version() + " (IDX-10)");
            }
        }
        for (var h : highestBefore.entrySet()) {
            Optional<SemanticVersion> top = versions(h.getKey()).stream().max(SemanticVersion::compareTo);
            boolean allRemoved = older.entries().stream().filter(e -> e.name().equals(h.getKey()))
                    .allMatch(e -> removed.contains(e.key()));
            if (!allRemoved && (top.isEmpty() || top.get().compareTo(h.getValue()) < 0)) {
                throw new IndexRefusedException(Reason.ROLLBACK, "index " + version + " lowers " + h.getKey() + " from "
                        + h.getValue() + " to " + top.map(Object::toString).orElse("nothing") + " (IDX-07)");
            }
        }
    }
}
