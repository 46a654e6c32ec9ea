package io.vboxmcp.template;

import io.vboxmcp.SemanticVersion;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A validated {@code template-definition.yaml}. Every field of the document has a component here; values
 * absent from the document are empty collections, 0 minimums or null strings as documented.
 *
 * @param name          template name ({@link io.vboxmcp.TemplateRef#NAME_PATTERN}), never null
 * @param version       never null
 * @param description   may be null
 * @param author        may be null
 * @param baseImage     image reference such as {@code ubuntu:22.04}; null only for a document not yet composed: a
 *                      feature ({@code kind: feature}) or a template that takes it from a base it {@code extends}.
 *                      Never null in a {@link io.vboxmcp.VmPlan}
 * @param minRamMb      minimum memory in MB, 0 if none
 * @param minDiskMb     minimum disk in MB, 0 if none
 * @param minCores      minimum vCPUs, 0 if none
 * @param packages      package group name to package names, in document order. Every group is installed by the
 *                      guest distribution's package manager ({@code system} first); only {@code pip} and {@code npm}
 *                      go to those language managers
 * @param scripts       provisioning scripts in the order they run
 * @param environment   guest environment variables, in document order
 * @param ports         guest ports to expose on the host
 * @param sharedFolders host folders to share into the guest
 * @param metadata      never null (empty if absent)
 * @param extensions    {@code x-*} fields, kept verbatim for tools; never null
 *
 * @since 0.2.0
 */
public record TemplateDefinition(String name, SemanticVersion version, String description, String author,
                                 String baseImage, int minRamMb, int minDiskMb, int minCores,
                                 Map<String, List<String>> packages, List<Script> scripts,
                                 Map<String, String> environment, List<Integer> ports,
                                 List<SharedFolder> sharedFolders, TemplateMetadata metadata,
                                 Map<String, Object> extensions) {
    /**
     * Checks the required components and copies the collections.
     *
     * @param name          template name ({@link io.vboxmcp.TemplateRef#NAME_PATTERN}), never null
     * @param version       never null
     * @param description   may be null
     * @param author        may be null
     * @param baseImage     image reference such as {@code ubuntu:22.04}, never null
     * @param minRamMb      minimum memory in MB, 0 if none
     * @param minDiskMb     minimum disk in MB, 0 if none
     * @param minCores      minimum vCPUs, 0 if none
     * @param packages      package group name to package names, in document order. Every group is installed by the
     *                      guest distribution's package manager ({@code system} first); only {@code pip} and {@code npm}
     *                      go to those language managers
     * @param scripts       provisioning scripts in the order they run
     * @param environment   guest environment variables, in document order
     * @param ports         guest ports to expose on the host
     * @param sharedFolders host folders to share into the guest
     * @param metadata      never null (empty if absent)
     * @param extensions    {@code x-*} fields, kept verbatim for tools; never null
     */
    public TemplateDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Map<String, List<String>> p = new LinkedHashMap<>();
        Objects.requireNonNull(packages, "packages").forEach((k, v) -> p.put(k, List.copyOf(v)));
        packages = java.util.Collections.unmodifiableMap(p);
        scripts = List.copyOf(scripts);
        environment = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(environment));
        ports = List.copyOf(ports);
        sharedFolders = List.copyOf(sharedFolders);
        metadata = metadata == null ? TemplateMetadata.EMPTY : metadata;
        extensions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extensions));
    }

    /**
     * @param group a package group of the template, for example {@code system}
     * @return the packages of one group ({@code system}, {@code python}, {@code pip}, ...), empty if none
     */
    public List<String> packages(String group) {
        return packages.getOrDefault(group, List.of());
    }

    /** @return {@code name@version} */
    public String coordinates() {
        return name + "@" + version;
    }
}
