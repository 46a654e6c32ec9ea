package io.vboxmcp.core.internal.repo;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.template.TemplateLoader;

import java.nio.file.Path;
import java.time.Duration;

/** Installs one folder into a repository from a separate JVM, for the cross-process test. Prints OK or the error code. */
public final class InstallMain {
    private InstallMain() {
    }

    public static void main(String[] args) {
        try {
            new LocalRepository(Path.of(args[0]), TemplateLoader.standard(), Duration.ofSeconds(30), (p, s) -> {
                throw new IllegalStateException("no packages here");
            }, io.vboxmcp.core.internal.archive.SafeExtractor.Limits.defaults(), (dir, d) -> { }).install(Path.of(args[1]));
            System.out.println("OK");
        } catch (VboxmcpException e) {
            System.out.println(e.code());
        }
    }
}
