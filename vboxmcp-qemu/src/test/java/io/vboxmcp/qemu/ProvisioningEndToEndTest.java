package io.vboxmcp.qemu;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ExecResult;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.testkit.http.StaticHttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Package groups and the template's files in a real busybox guest (tpkg as its distribution manager, packages served
 * from 127.0.0.1 by the testkit's {@link StaticHttpServer}).
 */
@Tag("vm")
class ProvisioningEndToEndTest {
    @TempDir
    Path tmp;
    private final List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    private VmManager manager;

    @AfterEach
    void tearDown() throws Exception {
        if (manager != null) {
            for (Vm vm : manager.vms()) {
                vm.destroy();
            }
            manager.close();
        }
        assertThat(QemuGuestTest.qemuProcessesFor(tmp)).as("QEMU processes left by the test").isEmpty();
    }

    /** A tpkg package whose postinst appends its name to /root/installed-order. */
    private void tpkgPackage(Path repo, String name) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("pkg-" + name + "/var/lib/tpkg"));
        Path post = root.resolve(name + ".postinst");
        Files.writeString(post, "#!/bin/sh\necho " + name + " >> /root/installed-order\n");
        post.toFile().setExecutable(true, false);
        Process p = new ProcessBuilder("tar", "-czf", repo.resolve(name + ".tar.gz").toString(), "-C",
                tmp.resolve("pkg-" + name).toString(), "var").redirectErrorStream(true).start();
        assertThat(p.waitFor()).as("tar").isZero();
    }

    private Path template(String name, String body) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("home/templates").resolve(name).resolve("1.0.0"));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: \"" + name + "\"\nversion: \"1.0.0\"\n"
                + "base_image: \"vboxmcp-test:1\"\nmin_ram: 256\nmin_disk: 256\nmin_cores: 1\n" + body);
        return dir;
    }

    private VmManager manager() throws Exception {
        manager = VmManager.builder().home(tmp.resolve("home")).defaultDriver("qemu")
                .property(CoreKeys.IMAGE_CATALOG, TestImage.catalog().toUri().toString())
                .property(CoreKeys.READY_TIMEOUT, "180").progress(events::add).build();
        return manager;
    }

    private static String out(Vm vm, String cmd) throws VboxmcpException {
        ExecResult r = vm.exec(cmd);
        assertThat(r.exitCode()).as(cmd + ": " + r.stderr()).isZero();
        return r.stdout().trim();
    }

    @Test
    void create_installsGroupsSystemFirstThenInDocumentOrderAndScriptsSeeTheTemplatesFiles() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("www/repo"));
        for (String n : List.of("pkg-sys", "pkg-tools", "pkg-extra")) {
            tpkgPackage(repo, n);
        }
        try (StaticHttpServer http = StaticHttpServer.serve(tmp.resolve("www"))) {
            Path dir = template("groups", """
                    environment:
                      TPKG_REPO: "http://10.0.2.2:%d/repo"
                    packages:
                      tools: [pkg-tools]
                      system: [pkg-sys]
                      extra: [pkg-extra]
                    scripts:
                      - name: Where am I
                        command: pwd > /root/default-dir; echo "$VBOXMCP_TEMPLATE_DIR" > /root/template-dir
                      - name: A file the template also ships
                        command: mkdir -p /srv/work && echo mine > /srv/work/keep.txt && chmod 777 /srv/work
                      - name: Use the template's files
                        command: cat greeting.txt conf/app.conf keep.txt > result.txt
                        working_dir: /srv/work
                        run_as: developer
                    """.formatted(http.port()));
            Files.writeString(dir.resolve("greeting.txt"), "hello from the template\n");
            Files.createDirectories(dir.resolve("conf"));
            Files.writeString(dir.resolve("conf/app.conf"), "mode=test\n");
            Files.writeString(dir.resolve("keep.txt"), "from the template\n");

            Vm vm = manager().createFromTemplate(CreateVmRequest.builder("groups-vm", TemplateRef.parse("groups@1.0.0"))
                    .memoryMb(256).build());

            assertThat(out(vm, "cat /root/installed-order")).isEqualTo("pkg-sys\npkg-tools\npkg-extra");
            assertThat(http.requests()).containsSubsequence("GET /repo/pkg-sys.tar.gz", "GET /repo/pkg-tools.tar.gz",
                    "GET /repo/pkg-extra.tar.gz");
            assertThat(out(vm, "cat /root/default-dir")).isEqualTo("/var/lib/vboxmcp/template");
            assertThat(out(vm, "cat /root/template-dir")).isEqualTo("/var/lib/vboxmcp/template");
            assertThat(out(vm, "ls -A /var/lib/vboxmcp/template | sort | tr '\\n' ' '")).isEqualTo("conf greeting.txt keep.txt");
            assertThat(out(vm, "stat -c '%a %U' /var/lib/vboxmcp/template/greeting.txt")).isEqualTo("644 root");
            // copied as the script's user, and the file already there was not replaced
            assertThat(out(vm, "cat /srv/work/result.txt")).isEqualTo("hello from the template\nmode=test\nmine");
            assertThat(out(vm, "stat -c %U /srv/work/greeting.txt /srv/work/conf/app.conf | sort -u")).isEqualTo("developer");
            events.stream().filter(e -> e.kind() == ProgressEvent.Kind.STEP_FINISHED)
                    .filter(e -> e.step().equals("guest-ready") || e.step().equals("provision"))
                    .forEach(e -> System.out.println("timing: " + e.step() + " " + e.elapsed().toMillis() + " ms"));
        }
    }

    @Test
    void create_failingGroupIsNamedWithTheManagersMessage() throws Exception {
        Files.createDirectories(tmp.resolve("www/repo"));
        try (StaticHttpServer http = StaticHttpServer.serve(tmp.resolve("www"))) {
            template("broken", """
                    environment:
                      TPKG_REPO: "http://10.0.2.2:%d/repo"
                    packages:
                      missing: [no-such-package]
                    """.formatted(http.port()));
            ProvisioningException e = catchThrowableOfType(() -> manager().createFromTemplate(CreateVmRequest
                    .builder("broken-vm", TemplateRef.parse("broken@1.0.0")).memoryMb(256).build()),
                    ProvisioningException.class);
            assertThat(e.item()).isEqualTo("packages.missing");
            assertThat(e.exitCode()).isEqualTo(1);
            assertThat(e.getMessage()).contains("tpkg: cannot fetch no-such-package");
            assertThat(manager.vms()).isEmpty();
        }
    }
}
