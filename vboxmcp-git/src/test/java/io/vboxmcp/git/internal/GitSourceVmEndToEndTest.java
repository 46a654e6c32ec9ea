package io.vboxmcp.git.internal;

import io.vboxmcp.ExecResult;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole path with a Git source: a template published as a gpg-signed tag in a repository served by the real
 * {@code git daemon}, resolved, fetched and verified by the default manager, booted by the QEMU driver (found
 * through ServiceLoader) on the test guest image, and provisioned by the template's script.
 */
@Tag("vm")
class GitSourceVmEndToEndTest {
    @TempDir
    Path tmp;
    GitCli git;
    GitDaemon daemon;

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) daemon.close();
        if (git != null) git.close();
    }

    @Test
    void createFromTemplate_withGitSource_bootsAndProvisionsOnQemu() throws Exception {
        git = new GitCli(tmp.resolve("author"));
        String signer = git.gpgKey("Publisher <publisher@example.org>");
        Path repos = Files.createDirectories(tmp.resolve("repos"));
        Path repo = git.init(repos.resolve("templates"));
        Path dir = Files.createDirectories(repo.resolve("git-e2e"));
        Files.writeString(dir.resolve("template-definition.yaml"), """
                name: git-e2e
                version: "1.0.0"
                description: "published through Git"
                base_image: "vboxmcp-test:1"
                scripts:
                  - name: mark
                    command: echo from-git-tag > /tmp/git-e2e-marker
                metadata:
                  tags: [git, e2e]
                """);
        git.commitAll(repo, "git-e2e 1.0.0");
        git.gpgTag(repo, "git-e2e/v1.0.0", signer);
        daemon = new GitDaemon(repos);
        Path publicKey = Files.write(tmp.resolve("publisher.asc"), git.gpgPublicKey(signer));

        try (VmManager manager = VmManager.builder()
                .home(tmp.resolve("vboxmcp-home"))
                .addSource(new SourceConfig("team", URI.create(daemon.url("templates")), 0, Map.of()))
                .property("image.catalog", catalog().toString())
                // TCG boots on a 2-core machine shared with other VM tests can take minutes
                .property("ready.timeout", "600")
                .build()) {
            manager.trust().add("team", publicKey);
            assertThat(manager.search("git-e2e")).singleElement()
                    .satisfies(i -> assertThat(i.sourceId()).isEqualTo("team"));
            Vm vm = manager.createFromTemplate("git-e2e-vm", "git-e2e", "^1.0", Map.of());
            try {
                ExecResult r = vm.exec("cat /tmp/git-e2e-marker");
                assertThat(r.exitCode()).isZero();
                assertThat(r.stdout().trim()).isEqualTo("from-git-tag");
            } finally {
                vm.destroy();
            }
        }
    }

    /** The test guest image's catalog: {@code VBOXMCP_TEST_IMAGE_CATALOG}, else built (or cached) by the script. */
    static Path catalog() throws IOException, InterruptedException {
        String env = System.getenv("VBOXMCP_TEST_IMAGE_CATALOG");
        if (env != null && !env.isBlank()) {
            return Path.of(env.startsWith("file:") ? URI.create(env).getPath() : env);
        }
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("scripts/build-test-image.sh"))) {
            root = root.getParent();
        }
        if (root == null) throw new IOException("cannot find scripts/build-test-image.sh");
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
