package io.vboxmcp.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.spi.BaseImage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The test guest image: from {@code VBOXMCP_TEST_IMAGE_CATALOG} (a catalog JSON file) if set, else built (or
 * taken from its content-addressed cache) by {@code scripts/build-test-image.sh}. Nothing is committed.
 */
public final class TestImage {
    private static volatile Path catalog;

    private TestImage() {
    }

    /** @return the catalog file of the test image */
    public static synchronized Path catalog() throws IOException, InterruptedException {
        if (catalog != null) {
            return catalog;
        }
        String env = System.getenv("VBOXMCP_TEST_IMAGE_CATALOG");
        if (env != null && !env.isBlank()) {
            catalog = Path.of(env.startsWith("file:") ? java.net.URI.create(env).getPath() : env);
            return catalog;
        }
        Path script = repoRoot().resolve("scripts/build-test-image.sh");
        Path log = Files.createTempFile("build-test-image", ".log");
        try {
            Process p = new ProcessBuilder("bash", script.toString()).redirectError(log.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("scripts/build-test-image.sh failed: " + Files.readString(log));
            }
            String[] lines = out.split("\n");
            catalog = Path.of(lines[lines.length - 1].trim());
            return catalog;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** @return the image's first entry as a BaseImage pointing at the built files (for driver tests) */
    public static BaseImage baseImage() throws IOException, InterruptedException {
        Path cat = catalog();
        JsonNode img = new ObjectMapper().readTree(cat.toFile()).path("images").get(0);
        Path dir = cat.getParent();
        return new BaseImage(img.path("reference").asText(), dir.resolve(img.path("disk").path("url").asText()),
                img.path("disk").path("format").asText(), "sha256:" + img.path("disk").path("sha256").asText(),
                dir.resolve(img.path("kernel").path("url").asText()), dir.resolve(img.path("initrd").path("url").asText()),
                img.path("kernelArgs").asText());
    }

    /** The reactor root: the first parent holding {@code scripts/build-test-image.sh}. */
    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/build-test-image.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find scripts/build-test-image.sh above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
