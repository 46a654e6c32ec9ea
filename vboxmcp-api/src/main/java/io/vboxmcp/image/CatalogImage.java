package io.vboxmcp.image;

import io.vboxmcp.spi.Firmware;

import java.net.URI;
import java.util.Objects;

/**
 * One base image as its catalog lists it, and whether its files are in the cache.
 *
 * @param reference   the reference templates name in {@code base_image}, for example {@code debian:12}, never null
 * @param description the catalog's description, empty if none, never null
 * @param catalog     the catalog the entry comes from ({@link ImageCache#BUILTIN_CATALOG} for the built-in one),
 *                    never null
 * @param firmware    the firmware the image boots with, never null
 * @param digest      the disk's digest as {@code sha256:<hex>} or {@code sha512:<hex>}, never null
 * @param cached      whether every file of the image (disk, kernel, initrd) is in the cache; not re-verified here
 * @param cachedBytes the bytes those cached files take, 0 if none
 *
 * @since 0.2.0
 */
public record CatalogImage(String reference, String description, URI catalog, Firmware firmware, String digest,
                           boolean cached, long cachedBytes) {
    /**
     * Checks that the required components are not null.
     *
     * @param reference   the reference templates name in {@code base_image}, for example {@code debian:12}, never null
     * @param description the catalog's description, empty if none, never null
     * @param catalog     the catalog the entry comes from ({@link ImageCache#BUILTIN_CATALOG} for the built-in one),
     *                    never null
     * @param firmware    the firmware the image boots with, never null
     * @param digest      the disk's digest as {@code sha256:<hex>} or {@code sha512:<hex>}, never null
     * @param cached      whether every file of the image (disk, kernel, initrd) is in the cache; not re-verified here
     * @param cachedBytes the bytes those cached files take, 0 if none
     */
    public CatalogImage {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(catalog, "catalog");
        Objects.requireNonNull(firmware, "firmware");
        Objects.requireNonNull(digest, "digest");
    }
}
