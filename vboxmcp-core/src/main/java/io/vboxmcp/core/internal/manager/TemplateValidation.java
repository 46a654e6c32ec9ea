package io.vboxmcp.core.internal.manager;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.archive.TemplateFiles;
import io.vboxmcp.template.TemplateDefinition;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@code VmManager.validate} checks, also usable without a manager: a command line that only validates then
 * needs no home, providers, trust store or image catalogs, and starts in a fraction of the time (issue #13).
 */
public final class TemplateValidation {
    private TemplateValidation() {
    }

    /**
     * Validates as a manager built with no properties would: configuration from system properties
     * {@code vboxmcp.<key>}, then environment variables {@code VBOXMCP_<KEY>} ({@code CoreKeys.TEMPLATE_MAX_*}).
     *
     * @param path a template folder (checked with install's file rules first) or a template-definition.yaml
     * @return the template, never null
     * @throws VboxmcpException {@code TemplateValidationException} with every violation, or a refused folder
     */
    public static TemplateDefinition validate(Path path) throws VboxmcpException {
        return validate(path, new CoreContext(null, Map.of(), id -> List.of(), Map.of(), null));
    }

    static TemplateDefinition validate(Path path, CoreContext ctx) throws VboxmcpException {
        if (Files.isDirectory(path)) {
            // the folder as install would see it: a link or FIFO anywhere in it is refused before a file is read
            TemplateFiles.check(path, ManagerAssembly.templateLimits(ctx));
        }
        return TemplateLoader.standard().load(path);
    }
}
