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
 *  "removed":[{"name":"old","version":"0.1.0"}]}</pre>
 */
record IndexDocument(long version, Instant expires, List<Entry> entries, Set<String> removed, byte[] bytes) {
    static final String TYPE = "vboxmcp-index";
    static final int MAX_ENTRIES = 200_000;

    /** One template version as the index lists it. */
    record Entry(String name, SemanticVersion version, String digest, String description, List<String> tags,
                 String author, String published) {
        String key() {
            return name + "@" + version;
        }
    }

    static IndexDocument parse(byte[] bytes) throws IndexRefusedException {
        JsonNode n = Documents.object(bytes, "index");
        Documents.type(n, TYPE);
        long version = Documents.version(n);
        Instant expires = Documents.instant(n, "expires");
        JsonNode ts = n.get("templates");
        if (ts == null || !ts.isArray() || ts.size() > MAX_ENTRIES) {
            throw new IndexRefusedException(Reason.MALFORMED, "index: 'templates' must be a list of at most " + MAX_ENTRIES);
        }
        List<Entry> entries = new ArrayList<>(ts.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode t : ts) {
            String name = name(t);
            SemanticVersion v = version(t);
            String digest = Documents.text(t, "digest");
            if (!OciClient.DIGEST.matcher(digest).matches()) {
                throw new IndexRefusedException(Reason.MALFORMED, "index: " + name + " " + v + " has no sha256 digest");
            }
            Entry e = new Entry(name, v, digest, t.hasNonNull("description") ? t.get("description").asText() : null,
                    tags(t), t.hasNonNull("author") ? t.get("author").asText() : null,
                    t.hasNonNull("published") ? t.get("published").asText() : null);
            if (!seen.add(e.key())) {
                // one version, two digests: which one a client gets must not depend on order (REG-01)
                throw new IndexRefusedException(Reason.INCONSISTENT, "index lists " + e.key() + " twice (REG-01)");
            }
            entries.add(e);
        }
        Set<String> removed = new HashSet<>();
        JsonNode rs = n.get("removed");
        if (rs != null) {
            if (!rs.isArray()) {
                throw new IndexRefusedException(Reason.MALFORMED, "index: 'removed' must be a list");
            }
            for (JsonNode r : rs) {
                removed.add(name(r) + "@" + version(r));
            }
        }
        return new IndexDocument(version, expires, List.copyOf(entries), Set.copyOf(removed), bytes.clone());
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
