package io.vboxmcp;

import java.util.Set;

/**
 * Which templates may be used. Fails closed: a source that must be signed and has no valid signature by a pinned
 * key is refused before any VM work starts.
 *
 * @param requireSignedLocal  whether templates from local folders and the local repository must be signed
 * @param requireSignedRemote whether templates from remote sources (Git, registry, URL) must be signed
 * @param unsignedSources     ids of sources explicitly allowed to serve unsigned templates, never null
 */
public record TrustPolicy(boolean requireSignedLocal, boolean requireSignedRemote, Set<String> unsignedSources) {
    public TrustPolicy {
        unsignedSources = Set.copyOf(unsignedSources);
    }

    /** @return remote sources must be signed by a pinned key; local folders may be unsigned */
    public static TrustPolicy defaults() {
        return new TrustPolicy(false, true, Set.of());
    }

    /** @return every template must be signed by a pinned key, local ones too */
    public static TrustPolicy requireSignedEverywhere() {
        return new TrustPolicy(true, true, Set.of());
    }

    /**
     * @param sourceId never null
     * @param remote   whether the source is remote
     * @return whether a template from that source must carry a valid signature
     */
    public boolean requiresSignature(String sourceId, boolean remote) {
        if (unsignedSources.contains(sourceId)) {
            return false;
        }
        return remote ? requireSignedRemote : requireSignedLocal;
    }
}
