package io.vboxmcp.image;

import io.vboxmcp.VboxmcpException;

import java.util.List;

/**
 * The ready snapshots a manager keeps in {@code <home>/cache/snapshots} (see {@link io.vboxmcp.SnapshotPolicy}).
 * Obtained from {@code VmManager.readySnapshots()}; thread-safe and safe across processes sharing a home.
 *
 * @since 0.2.0
 */
public interface ReadySnapshotCache {
    /**
     * @return every complete snapshot, most recently used first, never null
     * @throws VboxmcpException {@code IO} if the cache folder cannot be read
     */
    List<ReadySnapshotInfo> list() throws VboxmcpException;

    /**
     * Deletes snapshots: with {@code all == false} the incomplete ones (a save that did not finish) and the least
     * recently used complete ones beyond the {@code snapshot.max-bytes} budget; with {@code all == true} every one.
     * A snapshot a create is restoring from right now (its lock held) is kept. Never follows symbolic links and never
     * deletes anything outside the cache folder.
     *
     * @param all whether to delete every snapshot
     * @return what was deleted (snapshot folders) and kept, never null
     * @throws VboxmcpException {@code IO} if a folder cannot be deleted
     */
    PruneResult prune(boolean all) throws VboxmcpException;
}
