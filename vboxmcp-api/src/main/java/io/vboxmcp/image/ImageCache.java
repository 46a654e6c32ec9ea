package io.vboxmcp.image;

import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.BaseImage;

import java.net.URI;

/**
 * The base images a manager knows (from its image catalogs) and the verified files it keeps of them in its
 * content-addressed cache ({@code <home>/cache/images}). Obtained from {@code VmManager.images()}; thread-safe and
 * safe across processes sharing a home (a file lock per cached file).
 *
 * <p>Catalogs are consulted in order and the first catalog listing a reference wins: the URIs of the
 * {@code image.catalog} key, then {@code <home>/images/catalog.json}, then the catalog built into vboxmcp
 * ({@link #BUILTIN_CATALOG}, unless the {@code image.catalog.defaults} key is {@code false}).
 *
 * @since 0.2.0
 */
public interface ImageCache {
    /** The source named for entries of the catalog shipped inside vboxmcp. */
    URI BUILTIN_CATALOG = URI.create("vboxmcp:builtin-catalog");

    /**
     * Lists every reference of every catalog, once (the entry that wins). Reads the catalogs but downloads no image
     * and hashes nothing: {@link CatalogImage#cached()} says a file is present, not that it still verifies.
     *
     * @return the listing; a catalog that cannot be read is named in {@link ImageListing#problems()}, never null
     * @throws VboxmcpException {@code INVALID_ARGUMENT} or {@code POLICY_VIOLATION} if a catalog is malformed or
     *                          breaks a rule (for example a remote catalog naming a host file)
     */
    ImageListing list() throws VboxmcpException;

    /**
     * Downloads (resuming a partial download), verifies and caches the files of {@code reference} now, as the
     * first VM using it would. A cached file is re-verified; one that no longer verifies is fetched again.
     *
     * @param reference for example {@code ubuntu:22.04}, never null
     * @param progress  receives {@code BYTES} events while downloading and {@code INFO} events, never null
     * @return the verified image, never null
     * @throws VboxmcpException {@code INVALID_ARGUMENT} if no catalog lists it, {@code DIGEST_MISMATCH} if a file
     *                          does not match its digest, {@code IMAGE_INVALID} if the disk is not of the declared
     *                          format or is unsafe (a qcow2 naming a backing or data file), {@code POLICY_VIOLATION}
     *                          for a cross-origin redirect, {@code SOURCE_UNAVAILABLE} if it cannot be fetched
     */
    BaseImage pull(String reference, ProgressListener progress) throws VboxmcpException;

    /**
     * Deletes cached files: with {@code all == false} those no catalog entry (winning or shadowed) references, and
     * partial downloads ({@code .part}) untouched for a day; with {@code all == true} every cached image and partial
     * download. Never deletes a file a VM of this home still uses (a qcow2 overlay under {@code <home>/vms} naming it
     * as its backing file), nor one another operation holds the lock of right now. Never follows symbolic links and
     * never deletes anything outside {@code <home>/cache/images}.
     *
     * @param all whether to delete every cached image rather than only unreferenced ones
     * @return what was deleted and what was kept because it is in use, never null
     * @throws VboxmcpException {@code SOURCE_UNAVAILABLE} (with {@code all == false}) if a catalog cannot be read,
     *                          since its references would be unknown; {@code IO} if a file cannot be deleted
     */
    PruneResult prune(boolean all) throws VboxmcpException;
}
