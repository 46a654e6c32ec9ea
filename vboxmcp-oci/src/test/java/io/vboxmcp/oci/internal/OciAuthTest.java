package io.vboxmcp.oci.internal;

import io.vboxmcp.testkit.http.DistributionRegistry;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.oci.OciKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The real distribution registry behind htpasswd basic auth and behind TLS with a test CA. */
class OciAuthTest {
    static Path dockerConfig(Path dir, String hostPort, String user, String password) throws Exception {
        Path f = dir.resolve("config.json");
        String auth = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        Files.writeString(f, "{\"auths\":{\"" + hostPort + "\":{\"auth\":\"" + auth + "\"}}}");
        return f;
    }

    @Test
    void htpasswdRegistry_publishAndInstallWithDockerConfigCredentials_refusedWithout(@TempDir Path tmp) throws Exception {
        assumeTrue(DistributionRegistry.available(), "docker-registry is not installed");
        try (DistributionRegistry r = DistributionRegistry.start("alice", "wonder-land-7")) {
            Path key = Templates.sshKey(tmp, "author");
            Path good = dockerConfig(Files.createDirectories(tmp.resolve("good")), "127.0.0.1:" + r.port(), "alice",
                    "wonder-land-7");
            Path bad = dockerConfig(Files.createDirectories(tmp.resolve("bad")), "127.0.0.1:" + r.port(), "alice", "guess");
            try (VmManager m = VmManager.builder().home(tmp.resolve("pub")).property(OciKeys.DOCKER_CONFIG, good.toString())
                    .build()) {
                Path pkg = Templates.signedPackage(m, Templates.webDemo(tmp, "private", "1.0.0", "secret"), "private",
                        "1.0.0", key, tmp.resolve("p.tar.gz"));
                assertThat(m.publisher().publish(pkg, r.oci("corp")).tags()).contains("1.0.0", "latest");
            }
            try (VmManager anonymous = VmManager.builder().home(tmp.resolve("anon"))
                    .property(OciKeys.DOCKER_CONFIG, tmp.resolve("none.json").toString())
                    .addSource("corp", r.oci("corp")).build()) {
                assertThatThrownBy(() -> anonymous.templates().install(TemplateRef.of("private", "1.0.0")))
                        .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.getMessage()).contains("login"));
            }
            try (VmManager wrong = VmManager.builder().home(tmp.resolve("wrong")).property(OciKeys.DOCKER_CONFIG,
                    bad.toString()).addSource("corp", r.oci("corp")).build()) {
                assertThatThrownBy(() -> wrong.resolve(TemplateRef.of("private", "1.0.0")))
                        .isInstanceOf(VboxmcpException.class).hasMessageContaining("401");
            }
            try (VmManager c = VmManager.builder().home(tmp.resolve("c")).property(OciKeys.DOCKER_CONFIG, good.toString())
                    .addSource("corp", r.oci("corp")).build()) {
                c.trust().add("corp", key.resolveSibling("author.pub"));
                assertThat(c.templates().install(TemplateRef.of("private", "1.0.0")).definition().version())
                        .isEqualTo(SemanticVersion.parse("1.0.0"));
            }
        }
    }

    @Test
    void tlsRegistry_trustedThroughTheConfiguredCa_refusedWithoutIt(@TempDir Path tmp) throws Exception {
        assumeTrue(DistributionRegistry.available(), "docker-registry is not installed");
        try (DistributionRegistry r = DistributionRegistry.start(null, null, true)) {
            Path key = Templates.sshKey(tmp, "author");
            URI target = r.oci("secure");
            SourceConfig tls = new SourceConfig("secure", target, 0, Map.of(OciKeys.OPTION_TLS, "true"));
            try (VmManager m = VmManager.builder().home(tmp.resolve("pub")).property(OciKeys.CA_FILE, r.caFile().toString())
                    .addSource(tls).build()) {
                Path pkg = Templates.signedPackage(m, Templates.webDemo(tmp, "tls-demo", "1.0.0", "tls"), "tls-demo",
                        "1.0.0", key, tmp.resolve("t.tar.gz"));
                // the configured source lends its options (tls=true) to a publish under its location
                assertThat(m.publisher().publish(pkg, target).tags()).contains("1.0.0");
                m.trust().add("secure", key.resolveSibling("author.pub"));
                assertThat(m.templates().install(TemplateRef.of("tls-demo", "1.0.0")).definition().name())
                        .isEqualTo("tls-demo");
            }
            try (VmManager untrusting = VmManager.builder().home(tmp.resolve("u")).addSource(tls).build()) {
                assertThatThrownBy(() -> untrusting.resolve(TemplateRef.of("tls-demo", "1.0.0")))
                        .isInstanceOfSatisfying(VboxmcpException.class,
                                e -> assertThat(e.getMessage()).contains("SSL", "secure"));
            }
        }
    }
}
