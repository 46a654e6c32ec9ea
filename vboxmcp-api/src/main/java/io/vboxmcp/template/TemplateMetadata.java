package io.vboxmcp.template;

import java.util.List;

/**
 * @param tags    search tags, never null
 * @param license SPDX identifier, may be null
 * @param source  where the template's sources live, may be null
 *
 * @since 0.2.0
 */
public record TemplateMetadata(List<String> tags, String license, String source) {
    /** Metadata with no tags, license or source. */
    public static final TemplateMetadata EMPTY = new TemplateMetadata(List.of(), null, null);

    /**
     * Copies the collections.
     *
     * @param tags    search tags, never null
     * @param license SPDX identifier, may be null
     * @param source  where the template's sources live, may be null
     */
    public TemplateMetadata {
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}
