package io.vboxmcp.core.internal.plan;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.template.Script;
import io.vboxmcp.template.SharedFolder;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;

import java.util.List;
import java.util.Map;

/** Template records for unit tests of one class. */
final class Templates {
    private Templates() {
    }

    static TemplateDefinition withMinimums(int ramMb, int diskMb, int cores) {
        return new TemplateDefinition("python-dev", SemanticVersion.of(1, 0, 0), "test", "me", "ubuntu:22.04", ramMb,
                diskMb, cores, Map.of(), List.of(), Map.of(), List.of(8000, 8080), List.of(), TemplateMetadata.EMPTY, Map.of());
    }

    static TemplateDefinition withShare(SharedFolder f) {
        return new TemplateDefinition("python-dev", SemanticVersion.of(1, 0, 0), "test", "me", "ubuntu:22.04", 0, 0, 0,
                Map.of(), List.of(), Map.of(), List.of(), List.of(f), TemplateMetadata.EMPTY, Map.of());
    }

    static TemplateDefinition withProvisioning(Map<String, List<String>> packages, List<Script> scripts,
                                               Map<String, String> env) {
        return new TemplateDefinition("python-dev", SemanticVersion.of(1, 0, 0), "test", "me", "ubuntu:22.04", 0, 0, 0,
                packages, scripts, env, List.of(), List.of(), TemplateMetadata.EMPTY, Map.of());
    }
}
