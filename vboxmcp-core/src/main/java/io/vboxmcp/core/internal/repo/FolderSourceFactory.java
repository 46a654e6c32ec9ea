package io.vboxmcp.core.internal.repo;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.spi.TemplateSourceFactory;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Serves a plain folder of templates ({@code file:} URI, the local repository's layout) as a local source. Bare
 * Git repositories and {@code *.git} paths are left to the Git source.
 */
public final class FolderSourceFactory implements TemplateSourceFactory {
    @Override
    public String id() {
        return "folder";
    }

    @Override
    public boolean supports(URI uri) {
        if (uri == null || uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).equals("file")) {
            return false;
        }
        try {
            Path p = Path.of(uri);
            boolean bareGit = Files.isRegularFile(p.resolve("HEAD")) && Files.isDirectory(p.resolve("objects"));
            return Files.isDirectory(p) && !p.toString().endsWith(".git") && !bareGit;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public TemplateSource create(SourceConfig config, ProviderContext context) throws VboxmcpException {
        if (!supports(config.uri())) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "source '" + config.id() + "': " + config.uri()
                    + " is not a folder");
        }
        return new DirectoryTemplateSource(config, Path.of(config.uri()), TemplateLoader.standard());
    }
}
