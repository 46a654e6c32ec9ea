package io.vboxmcp.core.internal.repo;

import io.vboxmcp.SourceConfig;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.testkit.TemplateSourceCompatibilityKit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The folder source ({@code file:} URIs, the local repository's layout) against the template-source kit. */
class FolderTemplateSourceCompatibilityTest extends TemplateSourceCompatibilityKit {
    private Path root() {
        return work.resolve("templates");
    }

    @Override
    protected void publish(String name, String version, Map<String, String> files) throws Exception {
        Path dir = root().resolve(name).resolve(version);
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path f = dir.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
        }
    }

    @Override
    protected TemplateSource createSource(ProviderContext context) throws Exception {
        Files.createDirectories(root());
        return new FolderSourceFactory().create(new SourceConfig(sourceId(), root().toUri(), 0, Map.of()), context);
    }
}
