package io.vboxmcp.image;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link ImageCache#prune(boolean)} did.
 *
 * @param removed    the files deleted, all inside the cache, never null
 * @param freedBytes the bytes they took
 * @param kept       cached files that would have been deleted but were kept: used by a VM or locked by another
 *                   operation, never null
 *
 * @since 0.2.0
 */
public record PruneResult(List<Path> removed, long freedBytes, List<Path> kept) {
    /**
     * Copies the lists (the record is immutable).
     *
     * @param removed    the files deleted, all inside the cache, never null
     * @param freedBytes the bytes they took
     * @param kept       cached files that would have been deleted but were kept: used by a VM or locked by another
     *                   operation, never null
     */
    public PruneResult {
        removed = List.copyOf(removed);
        kept = List.copyOf(kept);
    }
}
