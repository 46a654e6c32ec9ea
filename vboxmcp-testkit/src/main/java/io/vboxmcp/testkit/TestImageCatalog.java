package io.vboxmcp.testkit;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The busybox test guest's image catalog ({@code vboxmcp-test:1}) for tests that boot VMs. */
public final class TestImageCatalog {
    private TestImageCatalog() {
    }

    /** @return {@code VBOXMCP_TEST_IMAGE_CATALOG}, else the catalog {@code scripts/build-test-image.sh} builds (or has cached) */
    public static Path path() throws IOException, InterruptedException {
        String env = System.getenv("VBOXMCP_TEST_IMAGE_CATALOG");
        if (env != null && !env.isBlank()) {
            return Path.of(env.startsWith("file:") ? URI.create(env).getPath() : env);
        }
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("scripts/build-test-image.sh"))) {
            root = root.getParent();
        }
        if (root == null) {
            throw new IOException("cannot find scripts/build-test-image.sh above " + Path.of("").toAbsolutePath());
        }
        Process p = new ProcessBuilder("bash", root.resolve("scripts/build-test-image.sh").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("scripts/build-test-image.sh failed");
        }
        String[] lines = out.split("\n");
        return Path.of(lines[lines.length - 1].trim());
    }
}
