package io.vboxmcp.junit5;

import io.vboxmcp.VmManager;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The busybox test guest ({@code vboxmcp-test:1}) and the web-demo template installed into a home of the test's. */
final class TestGuest {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    private TestGuest() {
    }

    /** @return the catalog URI of the test image, built (or found in its cache) by scripts/build-test-image.sh */
    static String catalog() throws Exception {
        Process p = new ProcessBuilder(ROOT.resolve("scripts/build-test-image.sh").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("scripts/build-test-image.sh failed: " + out);
        }
        return Path.of(out.lines().reduce((a, b) -> b).orElseThrow().trim()).toUri().toString();
    }

    /** Points the extension at {@code home} with the test image and web-demo installed there. */
    static void prepare(Path home) throws Exception {
        System.setProperty("vboxmcp.image.catalog", catalog());
        System.setProperty(VmTest.HOME_PROPERTY, home.toString());
        try (VmManager m = VmManager.builder().home(home).build()) {
            m.templates().install(ROOT.resolve("examples/templates/web-demo"));
        }
    }
}
