package io.vboxmcp;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which templates may be used. Fails closed: a source that must be signed and has no valid signature by a pinned
 * key is refused before any VM work starts. Immutable and thread-safe.
 *
 * <p>Signature thresholds: a signed template is trusted only if valid signatures by at least
 * {@link #threshold(String) threshold(sourceId)} <em>distinct</em> pinned keys (counted by fingerprint) verify over
 * its manifest. The same signature given twice, or a key pinned twice, counts once. A threshold greater than one also
 * makes a signature required for that source, whatever the other components say.
 *
 * @param requireSignedLocal  whether templates from local folders and the local repository must be signed
 * @param requireSignedRemote whether templates from remote sources (Git, registry, URL) must be signed
 * @param unsignedSources     ids of sources explicitly allowed to serve unsigned templates, never null
 * @param thresholds          minimum number of distinct pinned signers per source id; the key {@value #ALL_SOURCES}
 *                            sets the default for sources not listed; every value at least 1; never null (empty: 1
 *                            everywhere)
 *
 * @since 0.2.0
 */
public record TrustPolicy(boolean requireSignedLocal, boolean requireSignedRemote, Set<String> unsignedSources,
                          Map<String, Integer> thresholds) {
    /** The {@link #thresholds} key that applies to every source without its own entry. */
    public static final String ALL_SOURCES = "*";

    /**
     * @throws IllegalArgumentException if a threshold is below 1
     * @throws NullPointerException     if a collection, key or value is null
     * @param requireSignedLocal whether local folders must be signed
     * @param requireSignedRemote whether remote sources must be signed
     * @param thresholds minimum number of distinct pinned signers per source id ({@value #ALL_SOURCES}: the default), never null
     * @param unsignedSources source ids allowed to be unsigned anyway, never null
     */
    public TrustPolicy {
        unsignedSources = Set.copyOf(unsignedSources);
        thresholds = Map.copyOf(thresholds);
        thresholds.forEach((id, n) -> checkThreshold(id, n));
    }

    /**
     * A policy with threshold 1 for every source.
     *
     * @param requireSignedLocal whether local folders must be signed
     * @param requireSignedRemote whether remote sources must be signed
     * @param unsignedSources source ids allowed to be unsigned anyway, never null
     */
    public TrustPolicy(boolean requireSignedLocal, boolean requireSignedRemote, Set<String> unsignedSources) {
        this(requireSignedLocal, requireSignedRemote, unsignedSources, Map.of());
    }

    /** @return remote sources must be signed by a pinned key; local folders may be unsigned; threshold 1 */
    public static TrustPolicy defaults() {
        return new TrustPolicy(false, true, Set.of());
    }

    /** @return every template must be signed by a pinned key, local ones too; threshold 1 */
    public static TrustPolicy requireSignedEverywhere() {
        return new TrustPolicy(true, true, Set.of());
    }

    /**
     * @param sourceId never null
     * @param remote   whether the source is remote
     * @return whether a template from that source must carry a valid signature: true if its threshold is above 1,
     *         else false for sources in {@link #unsignedSources}, else the local or remote requirement
     */
    public boolean requiresSignature(String sourceId, boolean remote) {
        if (threshold(sourceId) > 1) {
            return true;
        }
        if (unsignedSources.contains(sourceId)) {
            return false;
        }
        return remote ? requireSignedRemote : requireSignedLocal;
    }

    /**
     * @param sourceId a source id, or {@value #ALL_SOURCES} for the default of every source without its own entry;
     *                 never null
     * @param n        how many distinct pinned keys must sign, at least 1
     * @return a copy of this policy with that threshold (replacing an earlier one for the same id)
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public TrustPolicy withThreshold(String sourceId, int n) {
        checkThreshold(sourceId, n);
        Map<String, Integer> copy = new HashMap<>(thresholds);
        copy.put(sourceId, n);
        return new TrustPolicy(requireSignedLocal, requireSignedRemote, unsignedSources, copy);
    }

    /**
     * @param sourceId never null
     * @return how many distinct pinned keys must sign templates of that source: its own entry, else the
     *         {@value #ALL_SOURCES} entry, else 1
     */
    public int threshold(String sourceId) {
        Objects.requireNonNull(sourceId, "sourceId");
        Integer own = thresholds.get(sourceId);
        if (own != null) {
            return own;
        }
        return thresholds.getOrDefault(ALL_SOURCES, 1);
    }

    private static void checkThreshold(String sourceId, Integer n) {
        Objects.requireNonNull(sourceId, "sourceId");
        Objects.requireNonNull(n, "threshold");
        if (n < 1) {
            throw new IllegalArgumentException("signature threshold for source '" + sourceId + "' must be at least 1, not " + n);
        }
    }
}
