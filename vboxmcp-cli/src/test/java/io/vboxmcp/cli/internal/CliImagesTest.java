package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code vboxmcp images list|pull|prune} through the real launcher, images served from a loopback HTTP server. */
class CliImagesTest {
    @TempDir
    Path tmp;
    HttpServer server;
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    byte[] jammy;
    byte[] scratch;

    Path home() {
        return tmp.resolve("home");
    }

    Launcher cli() {
        return new Launcher(home());
    }

    @BeforeEach
    void serve() throws Exception {
        jammy = new byte[3 * 1024 * 1024 + 1];
        new Random(2204).nextBytes(jammy);
        scratch = "scratch disk".repeat(1000).getBytes(StandardCharsets.UTF_8);
        files.put("/images/jammy.raw", jammy);
        files.put("/images/scratch.raw", scratch);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            byte[] body = files.get(ex.getRequestURI().getPath());
            try (ex) {
                if (body == null) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(body);
                }
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    static String sha512(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(b));
    }

    static String entry(String ref, String file, byte[] content) throws Exception {
        return "{\"reference\":\"" + ref + "\",\"description\":\"served locally\",\"disk\":{\"url\":\"" + file
                + "\",\"digest\":\"sha512:" + sha512(content) + "\",\"size\":" + content.length + "}}";
    }

    void catalog(String... entries) {
        files.put("/images/catalog.json", ("{\"images\":[" + String.join(",", entries) + "]}")
                .getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void images_listPullPrune_userCatalogOverridesBuiltinEntry() throws Exception {
        catalog(entry("ubuntu:22.04", "jammy.raw", jammy), entry("scratch:1", "scratch.raw", scratch));
        String cat = url("/images/catalog.json");

        Launcher.Result list = cli().run("images", "list", "--json", "--image-catalog", cat);
        assertThat(list.exit()).as(list.show()).isZero();
        Map<String, JsonNode> byRef = new HashMap<>();
        list.json().path("images").forEach(n -> byRef.put(n.path("reference").asText(), n));
        assertThat(byRef).containsKeys("ubuntu:22.04", "scratch:1", "debian:12", "alpine:3.22", "archlinux").hasSize(10);
        assertThat(byRef.get("ubuntu:22.04").path("catalog").asText()).isEqualTo(cat);
        assertThat(byRef.get("ubuntu:22.04").path("cached").asBoolean()).isFalse();
        assertThat(byRef.get("debian:12").path("catalog").asText()).isEqualTo("vboxmcp:builtin-catalog");
        assertThat(byRef.get("debian:12").path("digest").asText()).startsWith("sha512:6c2607f1");
        assertThat(byRef.get("alpine:3.22").path("firmware").asText()).isEqualTo("uefi");

        Launcher.Result pull = cli().run("images", "pull", "ubuntu:22.04", "--image-catalog", cat);
        assertThat(pull.exit()).as(pull.show()).isZero();
        assertThat(pull.out()).contains("pulled ubuntu:22.04 sha512:" + sha512(jammy), "(raw, 3.0 MiB)");
        assertThat(pull.err()).as("plain progress, not a terminal").contains("image: 100% (3.0 MiB of 3.0 MiB)",
                "image: done in").doesNotContain("\r").doesNotContain("\033");
        Path jammyFile = home().resolve("cache/images/sha512-" + sha512(jammy));
        assertThat(jammyFile).hasBinaryContent(jammy);
        Launcher.Result pullScratch = cli().run("images", "pull", "--json", "scratch:1", "--image-catalog", cat);
        assertThat(pullScratch.exit()).as(pullScratch.show()).isZero();
        Path scratchFile = Path.of(pullScratch.json().path("disk").asText());
        assertThat(scratchFile).hasBinaryContent(scratch);

        Launcher.Result text = cli().run("images", "list", "--image-catalog", cat);
        assertThat(text.out()).containsPattern("ubuntu:22.04 +any +yes +3.0 MiB +" + java.util.regex.Pattern.quote(cat))
                .containsPattern("debian:12 +any +no +- +built-in");

        // the catalog no longer lists scratch:1; an old partial download lies around
        catalog(entry("ubuntu:22.04", "jammy.raw", jammy));
        Path stale = home().resolve("cache/images/sha256-" + "a".repeat(64) + ".part");
        Files.write(stale, new byte[4096]);
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofDays(3))));
        Map<String, String> before = withoutLocks(Fixtures.snapshot(home()));

        Launcher.Result prune = cli().run("images", "prune", "--json", "--image-catalog", cat);

        assertThat(prune.exit()).as(prune.show()).isZero();
        assertThat(prune.json().path("freedBytes").asLong()).isEqualTo(scratch.length + 4096L);
        Map<String, String> expected = new TreeMap<>(before);
        expected.remove(home().relativize(scratchFile).toString());
        expected.remove("cache/images/.verified/" + scratchFile.getFileName());
        expected.remove(home().relativize(stale).toString());
        assertThat(withoutLocks(Fixtures.snapshot(home()))).as("home after prune: only the unreferenced image, its stamp and the "
                + "stale .part are gone").isEqualTo(expected);

        Launcher.Result all = cli().run("images", "prune", "--all", "--image-catalog", cat);
        assertThat(all.exit()).as(all.show()).isZero();
        assertThat(all.out()).contains("removed sha512-" + sha512(jammy), "freed 3.0 MiB (1 file)");
        assertThat(jammyFile).doesNotExist();
    }

    /** Lock files are empty and kept on purpose: deleting one another process waits on would break the lock. */
    static Map<String, String> withoutLocks(Map<String, String> snapshot) {
        Map<String, String> m = new TreeMap<>(snapshot);
        m.keySet().removeIf(k -> k.startsWith("cache/images/.locks/"));
        return m;
    }

    @Test
    void images_pullUnknownOrTamperedImage_failsTypedAndCachesNothing() throws Exception {
        catalog(entry("ubuntu:22.04", "jammy.raw", "other bytes".getBytes(StandardCharsets.UTF_8)));
        String cat = url("/images/catalog.json");

        Launcher.Result unknown = cli().run("images", "pull", "--json", "nope:1", "--image-catalog", cat);
        assertThat(unknown.exit()).as(unknown.show()).isEqualTo(1);
        assertThat(unknown.json().path("error").path("code").asText()).isEqualTo("INVALID_ARGUMENT");
        assertThat(unknown.json().path("error").path("message").asText()).contains("unknown base image 'nope:1'");

        Launcher.Result bad = cli().run("images", "pull", "--json", "ubuntu:22.04", "--image-catalog", cat);
        assertThat(bad.exit()).as(bad.show()).isEqualTo(1);
        assertThat(bad.json().path("error").path("code").asText()).isIn("DIGEST_MISMATCH");
        assertThat(Fixtures.snapshot(home().resolve("cache/images")).keySet())
                .allMatch(k -> k.isEmpty() || k.startsWith(".locks"), "only lock files are left");
    }

    @Test
    void images_listWithDefaultsOff_showsOnlyUserCatalogs() {
        Launcher.Result r = cli().env("VBOXMCP_IMAGE_CATALOG_DEFAULTS", "false").run("images", "list", "--json");

        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(r.json().path("images")).isEmpty();
        assertThat(cli().run("images").exit()).as("no subcommand is a usage error").isEqualTo(2);
    }
}
