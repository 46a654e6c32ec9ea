package io.vboxmcp.git.internal;

import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.spi.TemplateSourceFactory;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Git template sources: {@code ssh://} and {@code git://} always; {@code https://}, {@code http://} and
 * {@code file:} (or a bare path) when the path ends with {@code .git}, or for {@code file:} when it is a bare
 * repository. Registered through {@code META-INF/services}.
 */
public final class GitTemplateSourceFactory implements TemplateSourceFactory {
    @Override
    public String id() {
        return "git";
    }

    @Override
    public int priority() {
        // wins over the plain folder source for a path that is a Git repository
        return 10;
    }

    @Override
    public boolean supports(URI uri) {
        if (uri == null) return false;
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        String path = uri.getPath() == null ? "" : uri.getPath();
        boolean dotGit = path.endsWith(".git") || path.endsWith(".git/");
        if (scheme == null) {
            return dotGit;
        }
        switch (scheme) {
            case "ssh", "git":
                return uri.getHost() != null;
            case "http", "https":
                return uri.getHost() != null && dotGit;
            case "file":
                return dotGit || isBareRepository(path);
            default:
                return false;
        }
    }

    private static boolean isBareRepository(String path) {
        if (path.isEmpty()) return false;
        try {
            Path p = Path.of(path);
            return Files.isRegularFile(p.resolve("HEAD")) && Files.isDirectory(p.resolve("objects"))
                    && Files.isDirectory(p.resolve("refs"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public TemplateSource create(SourceConfig config, ProviderContext context) throws VboxmcpException {
        return GitTemplateSource.open(config, context);
    }
}
