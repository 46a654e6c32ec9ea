package io.vboxmcp.template;

import io.vboxmcp.SemanticVersion;

import java.util.List;
import java.util.Objects;

/**
 * What listings and searches show of one template version.
 *
 * @param name        never null
 * @param version     never null
 * @param description may be null
 * @param tags        never null
 * @param sourceId    id of the source it comes from, never null
 * @param author      may be null (sources that do not read it)
 *
 * @since 0.2.0
 */
public record TemplateInfo(String name, SemanticVersion version, String description, List<String> tags, String sourceId,
                           String author) {
    /**
     * Checks the components.
     *
     * @param name        never null
     * @param version     never null
     * @param description may be null
     * @param tags        never null
     * @param sourceId    id of the source it comes from, never null
     * @param author      may be null
     */
    public TemplateInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(sourceId, "sourceId");
        tags = tags == null ? List.of() : List.copyOf(tags);
    }

    /**
     * Without an author.
     *
     * @param name        never null
     * @param version     never null
     * @param description may be null
     * @param tags        never null
     * @param sourceId    id of the source it comes from, never null
     */
    public TemplateInfo(String name, SemanticVersion version, String description, List<String> tags, String sourceId) {
        this(name, version, description, tags, sourceId, null);
    }
}
