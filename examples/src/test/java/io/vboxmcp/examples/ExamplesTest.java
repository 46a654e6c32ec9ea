package io.vboxmcp.examples;

import io.vboxmcp.PackageMirrors;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.trust.TemplatePublisher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs every example's main as a user would, with keys, repositories and homes made here. */
class ExamplesTest {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final Path TEMPLATE = ROOT.resolve("examples/templates/web-demo");
    static final Path PYTHON_DEV = ROOT.resolve("examples/templates/python-dev");

    @TempDir
    Path tmp;

    @AfterEach
    void clearCatalog() {
        System.clearProperty("vboxmcp.image.catalog");
    }

    @Test
    void signAndVerify_signsPacksVerifiesPinsAndInstalls() throws Exception {
        Path key = sshKey("author");
        Path dir = copyTemplate(tmp.resolve("work"));
        Path home = tmp.resolve("home");
        String out = runMain(() -> SignAndVerify.main(new String[] {dir.toString(), key.toString(), key + ".pub",
                tmp.resolve("web-demo-1.0.0.tar.gz").toString(), home.toString()}));
        String fingerprint = run(tmp, "ssh-keygen", "-l", "-f", key + ".pub").split(" ")[1];
        assertThat(out).contains("packed web-demo@1.0.0 manifest sha256:")
                .contains("verified: signed by " + fingerprint + " (ssh)")
                .contains("installed web-demo@1.0.0 with versions [1.0.0]");
        assertThat(dir.resolve(TemplatePublisher.SSH_SIGNATURE_FILE)).isRegularFile();

        // a package checked against someone else's key is refused
        Path stranger = sshKey("stranger");
        Path other = copyTemplate(tmp.resolve("work2"));
        assertThatThrownBy(() -> runMain(() -> SignAndVerify.main(new String[] {other.toString(), key.toString(),
                stranger + ".pub", tmp.resolve("other.tar.gz").toString(), tmp.resolve("home2").toString()})))
                .isInstanceOf(SignatureVerificationException.class);
    }

    @Test
    void createFromLocalTemplate_readsPackageMirrorsFromItsSettings() throws Exception {
        assertThat(CreateFromLocalTemplate.mirrors(k -> null).isEmpty()).as("nothing set: the guests' own sources").isTrue();
        PackageMirrors pip = CreateFromLocalTemplate.mirrors(Map.of("vboxmcp.pip.index", "http://10.0.2.2:8102/simple/")::get);
        assertThat(pip.pipIndex()).hasToString("http://10.0.2.2:8102/simple/");
        assertThat(pip.pipTrustedHost()).as("plain http needs trusted-host").isTrue();
        assertThat(pip.apt()).isEmpty();
        assertThatThrownBy(() -> CreateFromLocalTemplate.mirrors(Map.of("vboxmcp.apt.mirror", "http://10.0.2.2:8101/")::get))
                .hasMessageContaining("needs vboxmcp.apt.key");
        assertThatThrownBy(() -> CreateFromLocalTemplate.mirrors(Map.of("vboxmcp.pip.index",
                "https://alice:s3cret@pypi.example.org/simple/")::get))
                .isInstanceOf(VboxmcpException.class).hasMessageNotContaining("s3cret");
    }

    @Test
    void pythonDevTemplate_isTheSeedsTemplateInTheSeedsLayout() throws Exception {
        try (VmManager m = VmManager.builder().home(tmp.resolve("home")).build()) {
            TemplateDefinition t = m.validate(PYTHON_DEV);
            assertThat(t.coordinates()).isEqualTo("python-dev@1.0.0");
            assertThat(t.baseImage()).isEqualTo("debian:12");
            assertThat(t.packages().get("system")).containsExactly("git", "curl");
            assertThat(t.packages().get("python")).containsExactly("python3", "python3-pip", "python3-venv");
            assertThat(t.ports()).containsExactly(8000, 8080);
            assertThat(t.environment()).containsEntry("PYTHONUNBUFFERED", "1");
            assertThat(t.scripts().get(0).command()).isEqualTo("pip install -r requirements.txt");
        }
        for (String f : List.of("template-definition.yaml", "requirements.txt", "setup.sh", "README.md")) {
            assertThat(PYTHON_DEV.resolve(f)).isRegularFile();
        }
        assertThat(Files.readString(PYTHON_DEV.resolve("requirements.txt"))).contains("vboxmcp-hello==1.0.0");
    }

    @Test
    @Tag("vm")
    void createFromGitSource_usesASignedTemplateFromARepository() throws Exception {
        System.setProperty("vboxmcp.image.catalog", catalog());
        Path key = sshKey("author");
        Path repo = copyTemplate(tmp.resolve("repo"));
        try (VmManager author = VmManager.builder().home(tmp.resolve("author-home")).build()) {
            author.publisher().writeManifest(repo, "web-demo", io.vboxmcp.SemanticVersion.parse("1.0.0"));
            author.publisher().signSsh(repo, key, new char[0]);
        }
        run(repo, "git", "init", "-q", ".");
        run(repo, "git", "add", ".");
        run(repo, "git", "-c", "user.name=author", "-c", "user.email=author@vboxmcp.test", "commit", "-q", "-m", "1.0.0");
        run(repo, "git", "-c", "user.name=author", "-c", "user.email=author@vboxmcp.test", "tag", "-a", "v1.0.0",
                "-m", "web-demo 1.0.0");
        Path home = tmp.resolve("home");
        String out = runMain(() -> CreateFromGitSource.main(new String[] {repo.resolve(".git").toUri().toString(),
                key + ".pub", home.toString()}));
        String fingerprint = run(tmp, "ssh-keygen", "-l", "-f", key + ".pub").split(" ")[1];
        assertThat(out).contains("found web-demo@1.0.0 in team")
                .contains("web-demo@1.0.0 signed by " + fingerprint)
                .containsPattern("web server on 127\\.0\\.0\\.1:\\d+");
        try (VmManager m = VmManager.builder().home(home).build()) {
            assertThat(m.vms()).isEmpty();
        }
    }

    interface Main {
        void run() throws Exception;
    }

    /** Runs {@code main} with System.out captured (and still echoed); returns what it printed. */
    static synchronized String runMain(Main main) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                buf.write(b);
                original.write(b);
            }
        }, true, StandardCharsets.UTF_8);
        System.setOut(tee);
        try {
            main.run();
        } finally {
            System.setOut(original);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    static String catalog() throws Exception {
        String out = run(ROOT, ROOT.resolve("scripts/build-test-image.sh").toString());
        Path catalog = Path.of(out.lines().reduce((a, b) -> b).orElseThrow().trim());
        return catalog.toUri().toString();
    }

    Path sshKey(String name) throws Exception {
        Path dir = tmp.resolve("keys");
        Files.createDirectories(dir);
        Path key = dir.resolve(name);
        run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@vboxmcp.test", "-f", key.toString());
        return key;
    }

    static Path copyTemplate(Path target) throws Exception {
        try (Stream<Path> st = Files.walk(TEMPLATE)) {
            for (Path p : st.toList()) {
                Path q = target.resolve(TEMPLATE.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q);
                }
            }
        }
        return target;
    }

    static String run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError(List.of(cmd) + " failed:\n" + out);
        }
        return out;
    }
}
