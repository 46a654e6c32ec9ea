package io.vboxmcp.core.internal.search;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VersionRange;
import io.vboxmcp.template.TemplateInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The marketplace query: plain words (each must appear in the name, description or tags), {@code tag:T} (a tag
 * equal to T), {@code author:A} (the author contains A), {@code version:RANGE} or {@code NAME@RANGE} (npm ranges).
 * Results are ranked: an exact name first, then a word equal to a tag, then a word in the name, then text only (the strongest word decides);
 * within a rank by name, then newest version first. Immutable and thread-safe; one query answers many lists.
 */
public final class TemplateQuery {
    private final List<String> words = new ArrayList<>();
    private final List<String> tags = new ArrayList<>();
    private final List<String> authors = new ArrayList<>();
    private VersionRange range;
    private String exactName;

    private TemplateQuery() {
    }

    /** @throws io.vboxmcp.VersionFormatException if a version range does not parse */
    public static TemplateQuery parse(String text) throws VboxmcpException {
        TemplateQuery q = new TemplateQuery();
        if (text == null) {
            return q;
        }
        for (String raw : text.trim().split("\\s+")) {
            String t = raw.toLowerCase(Locale.ROOT);
            if (t.isEmpty()) {
                continue;
            }
            if (t.startsWith("tag:") && t.length() > 4) {
                q.tags.add(t.substring(4));
            } else if (t.startsWith("author:") && t.length() > 7) {
                q.authors.add(t.substring(7));
            } else if (t.startsWith("version:") && t.length() > 8) {
                q.range = VersionRange.parse(raw.substring(8));
            } else if (t.indexOf('@') > 0) {
                q.exactName = t.substring(0, t.indexOf('@'));
                q.range = VersionRange.parse(raw.substring(t.indexOf('@') + 1));
            } else {
                q.words.add(t);
            }
        }
        return q;
    }

    /**
     * Entries with their text lower-cased once, so that a query over 10,000 versions allocates nothing per entry.
     * Immutable; build one per listing and ask it many queries.
     */
    public static final class Catalog {
        private final List<Entry> entries;

        private Catalog(List<Entry> entries) {
            this.entries = entries;
        }

        public static Catalog of(List<TemplateInfo> infos) {
            List<Entry> out = new ArrayList<>(infos.size());
            for (TemplateInfo i : infos) {
                out.add(new Entry(i, i.description() == null ? "" : i.description().toLowerCase(Locale.ROOT),
                        i.tags().stream().map(x -> x.toLowerCase(Locale.ROOT)).toList(),
                        i.author() == null ? "" : i.author().toLowerCase(Locale.ROOT)));
            }
            return new Catalog(List.copyOf(out));
        }
    }

    private record Entry(TemplateInfo info, String description, List<String> tags, String author) { }

    /** @return the matching entries of {@code all}, ranked, never null */
    public List<TemplateInfo> apply(List<TemplateInfo> all) {
        return apply(Catalog.of(all));
    }

    /** @return the matching entries of {@code catalog}, ranked, never null */
    public List<TemplateInfo> apply(Catalog catalog) {
        record Hit(TemplateInfo info, int rank) { }
        List<Hit> hits = new ArrayList<>();
        for (Entry e : catalog.entries) {
            int rank = rank(e);
            if (rank >= 0) {
                hits.add(new Hit(e.info(), rank));
            }
        }
        hits.sort(Comparator.comparingInt(Hit::rank).reversed().thenComparing(h -> h.info().name())
                .thenComparing(h -> h.info().version(), Comparator.reverseOrder()).thenComparing(h -> h.info().sourceId()));
        return hits.stream().map(Hit::info).toList();
    }

    /** @return -1 if {@code i} does not match, else 0 (text) to 3 (exact name) */
    private int rank(Entry e) {
        TemplateInfo i = e.info();
        String name = i.name();
        if (exactName != null && !exactName.equals(name)) {
            return -1;
        }
        if (range != null && !range.contains(i.version())) {
            return -1;
        }
        List<String> itags = e.tags();
        for (String t : tags) {
            if (!itags.contains(t)) {
                return -1;
            }
        }
        String author = e.author();
        for (String a : authors) {
            if (!author.contains(a)) {
                return -1;
            }
        }
        String description = e.description();
        int rank = 0;
        for (String w : words) {
            int r;
            if (name.equals(w)) {
                r = 3;
            } else if (itags.contains(w)) {
                r = 2;
            } else if (name.contains(w)) {
                r = 1;
            } else if (description.contains(w) || itags.stream().anyMatch(x -> x.contains(w))) {
                r = 0;
            } else {
                return -1;
            }
            rank = Math.max(rank, r);  // ranked by the strongest reason it matched
        }
        return exactName != null ? 3 : rank;
    }
}
