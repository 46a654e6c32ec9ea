package io.vboxmcp.template;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One template version in the local repository.
 *
 * @param definition     never null
 * @param directory      the folder holding {@code template-definition.yaml} and its files, never null
 * @param manifestDigest {@code sha256:<hex>} of the template's canonical manifest, never null
 *
 * @since 0.2.0
 */
public record InstalledTemplate(TemplateDefinition definition, Path directory, String manifestDigest) {
    /**
     * Checks that no component is null.
     *
     * @param definition     never null
     * @param directory      the folder holding {@code template-definition.yaml} and its files, never null
     * @param manifestDigest {@code sha256:<hex>} of the template's canonical manifest, never null
     */
    public InstalledTemplate {
        Objects.requireNonNull(definition, "definition");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
    }
}
