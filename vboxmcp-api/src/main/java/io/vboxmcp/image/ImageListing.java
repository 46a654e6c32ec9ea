package io.vboxmcp.image;

import java.util.List;

/**
 * What {@link ImageCache#list()} found.
 *
 * @param images   one entry per reference, in catalog order (the first catalog's entries first), never null
 * @param problems one message per catalog that could not be read (its entries are missing), never null
 *
 * @since 0.2.0
 */
public record ImageListing(List<CatalogImage> images, List<String> problems) {
    /**
     * Copies the lists (the record is immutable).
     *
     * @param images   one entry per reference, in catalog order (the first catalog's entries first), never null
     * @param problems one message per catalog that could not be read (its entries are missing), never null
     */
    public ImageListing {
        images = List.copyOf(images);
        problems = List.copyOf(problems);
    }
}
