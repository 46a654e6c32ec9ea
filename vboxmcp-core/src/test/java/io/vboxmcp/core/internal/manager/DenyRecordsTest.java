package io.vboxmcp.core.internal.manager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every refusal that crosses the manager's API leaves exactly one {@code deny} record (threats.md's definition of
 * "refuse"), with what was refused, the source, the code and the reason, and no secrets (AUD-06).
 */
class DenyRecordsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path home() {
        return tmp.resolve("home");
    }

    private VmManager manager() throws VboxmcpException {
        return VmManager.builder().home(home()).discoverProviders(false).build();
    }

    private List<JsonNode> denies() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Path log = home().resolve("audit.log");
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                JsonNode n = JSON.readTree(line);
                if ("deny".equals(n.path("outcome").asText())) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    private JsonNode onlyDeny() throws IOException {
        List<JsonNode> d = denies();
        assertThat(d).as("exactly one deny record").hasSize(1);
        return d.get(0);
    }

    private Path template(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("src-" + name));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: " + name + "\nversion: \"1.0.0\"\n"
                + "base_image: \"test-image:1\"\n");
        return dir;
    }

    static Path sshKey(Path dir, String name) throws Exception {
        Path key = dir.resolve(name);
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return key;
    }

    @Test
    void install_archiveEntryRefused_writesOneDenyRecord_AUD06() throws Exception {
        Path pkg = tmp.resolve("evil-1.0.0.tar.gz");
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(Files.newOutputStream(pkg)))) {
            byte[] body = "pwned\n".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry("../../etc/cron.d/x");
            e.setSize(body.length);
            tar.putArchiveEntry(e);
            tar.write(body);
            tar.closeArchiveEntry();
        }
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.templates().install(pkg)).isInstanceOfSatisfying(VboxmcpException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.ARCHIVE_INVALID));
            JsonNode deny = onlyDeny();
            assertThat(deny.path("action").asText()).isEqualTo("template.install");
            assertThat(deny.path("code").asText()).isEqualTo("ARCHIVE_INVALID");
            assertThat(deny.path("source").asText()).isEqualTo("local");
            assertThat(deny.path("subject").asText()).isEqualTo(pkg.toString());
            assertThat(deny.path("reason").asText()).contains("..");
            assertThat(m.audit().verify()).isEmpty();
            assertThat(m.templates().list()).isEmpty();
        }
    }

    @Test
    void install_packageSignedByUnpinnedKey_writesOneDenyRecordWithDigest() throws Exception {
        Path signer = sshKey(tmp, "publisher");
        Path pinned = sshKey(tmp, "pinned");
        Path dir = template("demo");
        Path pkg = tmp.resolve("demo-1.0.0.tar.gz");
        try (VmManager m = manager()) {
            m.publisher().writeManifest(dir, "demo", SemanticVersion.of(1, 0, 0));
            m.publisher().signSsh(dir, signer, null);
            m.publisher().pack(dir, pkg);
            m.trust().add("local", Path.of(pinned + ".pub"));
            assertThatThrownBy(() -> m.templates().install(pkg)).isInstanceOfSatisfying(VboxmcpException.class,
                    e -> assertThat(e.code()).isIn(ErrorCode.SIGNATURE_INVALID, ErrorCode.UNTRUSTED));
            JsonNode deny = onlyDeny();
            assertThat(deny.path("action").asText()).isEqualTo("template.install");
            assertThat(deny.path("code").asText()).isIn("SIGNATURE_INVALID", "UNTRUSTED");
            assertThat(deny.path("digest").asText()).startsWith("sha256:");
            assertThat(deny.path("reason").asText()).isNotBlank();
            assertThat(m.templates().list()).isEmpty();
        }
    }

    @Test
    void publisherVerify_wrongKey_writesOneDenyRecord() throws Exception {
        Path signer = sshKey(tmp, "publisher");
        Path other = sshKey(tmp, "other");
        Path dir = template("demo");
        try (VmManager m = manager()) {
            m.publisher().writeManifest(dir, "demo", SemanticVersion.of(1, 0, 0));
            m.publisher().signSsh(dir, signer, null);
            assertThatThrownBy(() -> m.publisher().verify(dir, List.of(Path.of(other + ".pub"))))
                    .isInstanceOf(VboxmcpException.class);
            JsonNode deny = onlyDeny();
            assertThat(deny.path("action").asText()).isEqualTo("template.verify");
            assertThat(deny.path("subject").asText()).isEqualTo(dir.toString());
        }
    }

    @Test
    void trustAdd_keyFileThatIsNoKey_writesOneDenyRecord() throws Exception {
        Path notAKey = Files.writeString(tmp.resolve("key.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n");
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.trust().add("corp", notAKey)).isInstanceOf(VboxmcpException.class);
            JsonNode deny = onlyDeny();
            assertThat(deny.path("action").asText()).isEqualTo("trust.add");
            assertThat(deny.path("source").asText()).isEqualTo("corp");
            assertThat(m.trust().list("corp")).isEmpty();
        }
    }

    @Test
    void create_imageRedirectedToAnotherOrigin_writesOneDenyRecordWithoutCredentials_ART07() throws Exception {
        HttpServer attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        attacker.createContext("/", ex -> {
            ex.sendResponseHeaders(200, 4);
            try (OutputStream o = ex.getResponseBody()) {
                o.write("evil".getBytes(StandardCharsets.UTF_8));
            }
        });
        HttpServer mirror = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        String elsewhere = "http://localhost:" + attacker.getAddress().getPort() + "/disk.qcow2";
        mirror.createContext("/", ex -> {
            if (ex.getRequestURI().getPath().endsWith("catalog.json")) {
                byte[] c = ("{\"catalogVersion\":1,\"images\":[{\"reference\":\"test-image:1\",\"disk\":{\"url\":"
                        + "\"disk.qcow2\",\"format\":\"qcow2\",\"sha256\":\"" + "ab".repeat(32) + "\",\"size\":4}}]}")
                        .getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, c.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(c);
                }
            } else {
                ex.getResponseHeaders().add("Location", elsewhere);
                ex.sendResponseHeaders(302, -1);
                ex.close();
            }
        });
        attacker.start();
        mirror.start();
        try {
            Path dir = Files.createDirectories(home().resolve("templates/demo/1.0.0"));
            Files.writeString(dir.resolve("template-definition.yaml"), "name: demo\nversion: \"1.0.0\"\n"
                    + "base_image: \"test-image:1\"\n");
            RecordingHypervisorDriver driver = new RecordingHypervisorDriver();
            // user-info in the catalog URL stands for a credential that must not reach the log
            String catalog = "http://user:s3cret@127.0.0.1:" + mirror.getAddress().getPort() + "/catalog.json";
            try (VmManager m = VmManager.builder().home(home()).discoverProviders(false).addDriver(driver.factory())
                    .property(CoreKeys.IMAGE_CATALOG, catalog).build()) {
                assertThatThrownBy(() -> m.createFromTemplate(CreateVmRequest.builder("vm1", TemplateRef.parse("demo@1.0.0"))
                        .build())).isInstanceOfSatisfying(VboxmcpException.class, e -> {
                            assertThat(e.code()).isEqualTo(ErrorCode.POLICY_VIOLATION);
                            assertThat(e.step()).contains("image");
                        });
                JsonNode deny = onlyDeny();
                assertThat(deny.path("action").asText()).isEqualTo("vm.create");
                assertThat(deny.path("code").asText()).isEqualTo("POLICY_VIOLATION");
                assertThat(deny.path("template").asText()).isEqualTo("demo");
                assertThat(deny.path("reason").asText()).contains("redirect");
                assertThat(Files.readString(home().resolve("audit.log"))).doesNotContain("s3cret");
                assertThat(driver.live).isEmpty();
            }
        } finally {
            mirror.stop(0);
            attacker.stop(0);
        }
    }

    @Test
    void plan_overTheLimits_writesOneDenyRecord_RES01() throws Exception {
        Path dir = Files.createDirectories(home().resolve("templates/big/1.0.0"));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: big\nversion: \"1.0.0\"\n"
                + "base_image: \"test-image:1\"\nmin_ram: 99999999\n");
        RecordingHypervisorDriver driver = new RecordingHypervisorDriver();
        try (VmManager m = VmManager.builder().home(home()).discoverProviders(false).addDriver(driver.factory()).build()) {
            assertThatThrownBy(() -> m.plan(CreateVmRequest.builder("vm1", TemplateRef.parse("big@1.0.0")).build()))
                    .isInstanceOfSatisfying(VboxmcpException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_LIMIT));
            JsonNode deny = onlyDeny();
            assertThat(deny.path("action").asText()).isEqualTo("vm.plan");
            assertThat(deny.path("code").asText()).isEqualTo("RESOURCE_LIMIT");
        }
    }

    @Test
    void failureThatIsNoRefusal_writesNoDenyRecord() throws Exception {
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.templates().install(tmp.resolve("does-not-exist"))).isInstanceOf(VboxmcpException.class);
            assertThat(denies()).isEmpty();
        }
    }

    @Test
    void checkpointKey_canLiveOutsideTheHome_AUD04() throws Exception {
        Path key = tmp.resolve("elsewhere/audit.key");
        Path notAKey = Files.writeString(tmp.resolve("key.asc"), "not a key\n");
        try (VmManager m = VmManager.builder().home(home()).discoverProviders(false)
                .property(CoreKeys.AUDIT_CHECKPOINT_KEY, key.toString()).build()) {
            assertThatThrownBy(() -> m.trust().add("corp", notAKey)).isInstanceOf(VboxmcpException.class);
            assertThat(m.audit().checkpoint()).hasValueSatisfying(c -> assertThat(c.size()).isEqualTo(1));
            assertThat(m.audit().verify()).isEmpty();
        }
        assertThat(key).exists();
        assertThat(home().resolve("audit/checkpoint.key")).doesNotExist();
    }

    @Test
    void redact_removesUserInfoFromUrls_AUD06() {
        assertThat(DenyRecords.redact("fetch https://bob:hunter2@git.example.org/x.git failed"))
                .isEqualTo("fetch https://[redacted]@git.example.org/x.git failed");
    }
}
