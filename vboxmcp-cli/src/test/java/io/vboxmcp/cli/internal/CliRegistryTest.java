package io.vboxmcp.cli.internal;

import io.vboxmcp.testkit.http.DistributionRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** publish, source add oci://, search, install NAME@RANGE and install oci://…@sha256 through the real launcher. */
class CliRegistryTest {
    @TempDir
    Path tmp;

    static void run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).as(String.join(" ", cmd)).isZero();
    }

    @Test
    void publish_thenInstallByRangeAndByDigest_fromTheRegistry() throws Exception {
        assumeTrue(DistributionRegistry.available(), "docker-registry is not installed (scripts/install-deps.sh)");
        try (DistributionRegistry registry = DistributionRegistry.start(null, null)) {
            Launcher author = new Launcher(tmp.resolve("author"));
            Launcher user = new Launcher(tmp.resolve("user"));
            run(tmp, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", tmp.resolve("key").toString());
            Path t = Fixtures.template(tmp, "shared-demo", "1.2.0", "shared through a registry");
            assertThat(author.run("sign", t.toString(), "--key", tmp.resolve("key").toString()).exit()).isZero();
            assertThat(author.run("pack", t.toString(), "-o", tmp.resolve("p.tar.gz").toString()).exit()).isZero();
            String ns = registry.oci("team").toString();

            Launcher.Result pub = author.run("publish", "--json", tmp.resolve("p.tar.gz").toString(), ns);
            assertThat(pub.exit()).as(pub.show()).isZero();
            assertThat(pub.json().path("tags").toString()).contains("1.2.0", "1.2", "\"1\"", "latest");
            assertThat(pub.json().path("signatures").asInt()).isEqualTo(1);

            assertThat(user.run("source", "add", "team", ns).exit()).isZero();
            assertThat(user.run("trust", "add", "--source", "team", tmp.resolve("key.pub").toString()).exit()).isZero();
            Launcher.Result search = user.run("search", "--json", "registry version:^1");
            assertThat(search.json().path("templates").get(0).path("source").asText()).as(search.show()).isEqualTo("team");

            Launcher.Result install = user.run("install", "--json", "shared-demo@^1");
            assertThat(install.exit()).as(install.show()).isZero();
            assertThat(install.json().path("version").asText()).isEqualTo("1.2.0");

            Launcher.Result other = new Launcher(tmp.resolve("other")).run("install", "--json",
                    pub.json().path("reference").asText());
            // a one-off share with no key pinned anywhere is refused: remote means signed by a pinned key
            assertThat(other.exit()).as(other.show()).isEqualTo(1);
            assertThat(new Launcher(tmp.resolve("other")).run("list", "--json").json().path("templates")).isEmpty();
        }
    }
}
