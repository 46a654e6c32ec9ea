package io.vboxmcp;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A configured template source.
 *
 * @param id       short unique name ({@link TemplateRef#NAME_PATTERN}), never null
 * @param uri      where it is ({@code file:}, {@code https:}, {@code ssh:}, {@code git:}), never null
 * @param priority lower is consulted first
 * @param options  source-specific options (credential references, branch, path), never null
 *
 * @since 0.2.0
 */
public record SourceConfig(String id, URI uri, int priority, Map<String, String> options) {
    /**
     * Checks the components and copies the options.
     *
     * @param id       short unique name ({@link TemplateRef#NAME_PATTERN}), never null
     * @param uri      where it is ({@code file:}, {@code https:}, {@code ssh:}, {@code git:}), never null
     * @param priority lower is consulted first
     * @param options  source-specific options (credential references, branch, path), never null
     */
    public SourceConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(uri, "uri");
        options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(options == null ? Map.of() : options));
    }
}
