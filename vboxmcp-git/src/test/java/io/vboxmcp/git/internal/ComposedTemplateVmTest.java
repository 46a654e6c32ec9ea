package io.vboxmcp.git.internal;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ExecResult;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmPlan;
import io.vboxmcp.template.TemplateComponent;
import io.vboxmcp.testkit.TestImageCatalog;
import io.vboxmcp.testkit.http.StaticHttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One real VM from a composed template (the docs/templates.md example): the template, installed in the local
 * repository, extends a base from a folder source and requires a feature published as a gpg-signed tag in a Git
 * repository served by the real {@code git daemon}; the busybox test guest installs the merged packages (tpkg, from
 * 127.0.0.1) and runs the merged scripts base-first, with the base's file beside them.
 */
@Tag("vm")
class ComposedTemplateVmTest {
    @TempDir
    Path tmp;
    GitCli git;
    GitDaemon daemon;

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) daemon.close();
        if (git != null) git.close();
    }

    /** A tpkg package whose postinst appends its name to /root/installed-order. */
    private void tpkgPackage(Path repo, String name) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("pkg-" + name + "/var/lib/tpkg"));
        Path post = root.resolve(name + ".postinst");
        Files.writeString(post, "#!/bin/sh\necho " + name + " >> /root/installed-order\n");
        assertThat(post.toFile().setExecutable(true, false)).isTrue();
        Process p = new ProcessBuilder("tar", "-czf", repo.resolve(name + ".tar.gz").toString(), "-C",
                tmp.resolve("pkg-" + name).toString(), "var").redirectErrorStream(true).start();
        assertThat(p.waitFor()).as("tar").isZero();
    }

    private static String out(Vm vm, String cmd) throws Exception {
        ExecResult r = vm.exec(cmd);
        assertThat(r.exitCode()).as(cmd + ": " + r.stderr()).isZero();
        return r.stdout().trim();
    }

    @Test
    void create_templateExtendingFolderBaseAndRequiringGitFeature_provisionsTheMergedResult() throws Exception {
        Path www = Files.createDirectories(tmp.resolve("www/repo"));
        for (String n : List.of("pkg-base", "pkg-tools", "pkg-app")) {
            tpkgPackage(www, n);
        }
        // the feature, in Git: a signed tag
        git = new GitCli(tmp.resolve("author"));
        String signer = git.gpgKey("Publisher <publisher@example.org>");
        Path repos = Files.createDirectories(tmp.resolve("repos"));
        Path repo = git.init(repos.resolve("features"));
        Path feature = Files.createDirectories(repo.resolve("vm-tools"));
        Files.writeString(feature.resolve("template-definition.yaml"), """
                name: vm-tools
                version: "1.0.0"
                kind: feature
                packages:
                  system: [pkg-tools, pkg-base]
                scripts:
                  - name: tools-setup
                    command: echo tools >> /root/script-order
                environment:
                  TOOLS_HOME: "/opt/tools"
                """);
        git.commitAll(repo, "vm-tools 1.0.0");
        git.gpgTag(repo, "vm-tools/v1.0.0", signer);
        daemon = new GitDaemon(repos);
        Path publicKey = Files.write(tmp.resolve("publisher.asc"), git.gpgPublicKey(signer));

        try (StaticHttpServer http = StaticHttpServer.serve(tmp.resolve("www"))) {
            // the base, in a folder source
            Path shelf = tmp.resolve("shelf");
            Path base = Files.createDirectories(shelf.resolve("vm-base/1.2.3"));
            Files.writeString(base.resolve("template-definition.yaml"), """
                    name: vm-base
                    version: "1.2.3"
                    base_image: "vboxmcp-test:1"
                    min_ram: 256
                    min_disk: 256
                    packages:
                      system: [pkg-base]
                    scripts:
                      - name: base-setup
                        command: echo base >> /root/script-order; cat base-motd.txt > /root/motd
                    environment:
                      TPKG_REPO: "http://10.0.2.2:%d/repo"
                      GREETING: "from the base"
                    """.formatted(http.port()));
            Files.writeString(base.resolve("base-motd.txt"), "shipped by vm-base\n");
            // the template, installed into the local repository
            Path app = Files.createDirectories(tmp.resolve("app"));
            Files.writeString(app.resolve("template-definition.yaml"), """
                    name: vm-app
                    version: "1.0.0"
                    extends: ["vm-base@^1.2"]
                    requires:
                      - template: vm-tools
                        version: "^1.0"
                    packages:
                      system: [pkg-app]
                    scripts:
                      - name: app-setup
                        command: echo app >> /root/script-order; echo "$GREETING $TOOLS_HOME" > /root/env-seen
                    environment:
                      GREETING: "from the app"
                    """);
            try (VmManager manager = VmManager.builder()
                    .home(tmp.resolve("vboxmcp-home"))
                    .addSource(new SourceConfig("shelf", shelf.toUri(), 0, Map.of()))
                    .addSource(new SourceConfig("team", URI.create(daemon.url("features")), 1, Map.of()))
                    .defaultDriver("qemu")
                    .property("image.catalog", TestImageCatalog.path().toString())
                    .property("ready.timeout", "600")
                    .build()) {
                manager.trust().add("team", publicKey);
                manager.templates().install(app);
                CreateVmRequest request = CreateVmRequest.builder("composed-vm", TemplateRef.parse("vm-app@1.0.0"))
                        .memoryMb(256).build();
                VmPlan plan = manager.plan(request);
                assertThat(plan.components()).extracting(TemplateComponent::coordinates, TemplateComponent::sourceId)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple("vm-base@1.2.3", "shelf"),
                                org.assertj.core.groups.Tuple.tuple("vm-tools@1.0.0", "team"));
                assertThat(plan.components().get(1).signer()).isNotNull();
                assertThat(plan.describe()).contains("min_ram: 256 (from vm-base@1.2.3)",
                        "packages.system: pkg-tools (from vm-tools@1.0.0)");

                Vm vm = manager.createFromTemplate(request);
                try {
                    // packages: one union, base first, pkg-base once though both ask for it
                    assertThat(out(vm, "cat /root/installed-order")).isEqualTo("pkg-base\npkg-tools\npkg-app");
                    assertThat(out(vm, "cat /root/script-order")).isEqualTo("base\ntools\napp");
                    assertThat(out(vm, "cat /root/env-seen")).isEqualTo("from the app /opt/tools");
                    assertThat(out(vm, "cat /root/motd")).isEqualTo("shipped by vm-base");
                } finally {
                    vm.destroy();
                }
            }
        }
    }
}
