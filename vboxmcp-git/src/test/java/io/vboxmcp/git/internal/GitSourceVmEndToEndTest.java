package io.vboxmcp.git.internal;

import io.vboxmcp.ExecResult;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.testkit.TestImageCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

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
                .property("image.catalog", TestImageCatalog.path().toString())
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
}
