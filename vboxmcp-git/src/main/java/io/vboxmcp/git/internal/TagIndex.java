package io.vboxmcp.git.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * The version tags of the mirror: fetched (unless offline) when older than the refresh interval, then indexed by the
 * source's tag pattern. Tags accepted on this machine before and gone upstream are reported on every sync (IDX-08).
 * Not thread-safe; the source serialises its calls.
 */
final class TagIndex {
    private final GitMirror mirror;
    private final GitOptions options;
    private final LastSeenTags lastSeen;
    private final SourceEvents events;
    private final String sourceId;
    private final String display;
    private Instant syncedAt;
    private List<TagEntry> entries = List.of();
    private List<String> vanished = List.of();

    TagIndex(GitMirror mirror, GitOptions options, LastSeenTags lastSeen, SourceEvents events, String sourceId,
             String display) {
        this.mirror = mirror;
        this.options = options;
        this.lastSeen = lastSeen;
        this.events = events;
        this.sourceId = sourceId;
        this.display = display;
    }

    /** @return true if this call synced (the index may have changed), false if the index was fresh enough */
    boolean syncIfStale() throws VboxmcpException {
        if (syncedAt != null && (options.offline()
                || Duration.between(syncedAt, Instant.now()).compareTo(options.refresh()) < 0)) {
            return false;
        }
        sync();
        return true;
    }

    /** Fetches (unless offline) and rebuilds the index. */
    void sync() throws VboxmcpException {
        long start = System.nanoTime();
        mirror.locked(() -> {
            if (options.offline()) {
                if (!mirror.exists()) {
                    throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "git source '" + sourceId
                            + "' is offline and has no local mirror of " + display + " yet");
                }
                Instant at = mirror.lastFetched();
                events.info("offline: serving " + display + " from the local mirror" + (at == null ? "" : " last updated " + at));
            } else {
                mirror.fetch();
            }
            lastSeen.reload();
            return null;
        });
        rebuild();
        reportVanished();
        syncedAt = Instant.now();
        events.synced("synced " + display + ": " + entries.size() + " version tags", entries.size(),
                Duration.ofNanos(System.nanoTime() - start));
    }

    List<TagEntry> entries() {
        return entries;
    }

    private void rebuild() throws VboxmcpException {
        List<TagEntry> out = new ArrayList<>();
        try {
            for (Ref ref : mirror.repository().getRefDatabase().getRefsByPrefix(Constants.R_TAGS)) {
                if (ref.getObjectId() == null) continue;
                TagEntry e = parse(ref.getName().substring(Constants.R_TAGS.length()), ref.getObjectId());
                if (e != null && (e.folder() == null || TemplateRef.isValidName(e.folder()))) out.add(e);
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not list the tags of the mirror of " + display + ": " + e.getMessage(), e);
        }
        entries = List.copyOf(out);
    }

    /** @return the tag as a version tag, null if the tag pattern does not make it one */
    private TagEntry parse(String tag, ObjectId target) throws VboxmcpException {
        Matcher m = options.tagPattern().matcher(tag);
        if (!m.matches()) return null;
        String v = m.group("version");
        if (v == null || !SemanticVersion.isValid(v)) return null;
        return new TagEntry(tag, hasGroup(m, "name") ? m.group("name") : null, SemanticVersion.parse(v), target);
    }

    private static boolean hasGroup(Matcher m, String group) {
        try {
            return m.group(group) != null;
        } catch (IllegalArgumentException noSuchGroup) {
            return false;
        }
    }

    /**
     * A version tag this machine accepted before and that the remote no longer has (deleted upstream, so a range
     * would silently fall back to an older version): a warning event on every sync naming each one, and a
     * specific {@code VERSION_NOT_FOUND} when that exact version is asked for (IDX-08; see docs/git-sources.md).
     */
    private void reportVanished() {
        Set<String> present = new HashSet<>();
        for (TagEntry e : entries) present.add(e.tagName());
        List<String> gone = new ArrayList<>();
        for (String tag : lastSeen.tags()) {
            if (!present.contains(tag) && options.tagPattern().matcher(tag).matches()) gone.add(tag);
        }
        gone.sort(null);
        vanished = List.copyOf(gone);
        if (!gone.isEmpty()) {
            events.warning("version tag" + (gone.size() == 1 ? " " : "s ") + String.join(", ", gone) + (gone.size() == 1 ? " was" : " were")
                    + " accepted on this machine before and " + (gone.size() == 1 ? "has" : "have") + " been deleted upstream; "
                    + "version ranges now resolve without " + (gone.size() == 1 ? "it" : "them") + " (IDX-08)");
        }
    }

    /** @return the vanished version tags, each as the entry it was (no target) */
    List<TagEntry> vanished() throws VboxmcpException {
        List<TagEntry> out = new ArrayList<>();
        for (String tag : vanished) {
            TagEntry e = parse(tag, null);
            if (e != null) out.add(e);
        }
        return out;
    }
}
