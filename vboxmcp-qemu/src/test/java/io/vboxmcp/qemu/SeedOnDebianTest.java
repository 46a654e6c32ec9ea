package io.vboxmcp.qemu;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ExecResult;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.testkit.http.PipIndexServer;
import io.vboxmcp.testkit.http.StaticHttpServer;
import io.vboxmcp.testkit.http.Wheels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The seed's python-dev template, packages and script as the seed writes them, on a Debian 12 guest (python3
 * externally managed) that reaches only 127.0.0.1: apt through a signed local mirror (the guest's own sources moved
 * aside), pip through a local PEP 503 index. Runs only where both exist: {@code VBOXMCP_DEBIAN_CATALOG} (the catalog
 * JSON of scripts/build-debian-image.sh) and {@code VBOXMCP_APT_MIRROR} (a folder made by
 * {@code scripts/build-apt-mirror.sh DIR git curl python3-pip}).
 */
@Tag("vm")
class SeedOnDebianTest {
    @TempDir
    Path tmp;

    @Test
    void seedTemplate_onDebian12_throughLocalMirrors() throws Exception {
        String catalog = System.getenv("VBOXMCP_DEBIAN_CATALOG");
        String mirrorDir = System.getenv("VBOXMCP_APT_MIRROR");
        assumeTrue(catalog != null && mirrorDir != null, "VBOXMCP_DEBIAN_CATALOG and VBOXMCP_APT_MIRROR not set");
        Path template = Files.createDirectories(tmp.resolve("home/templates/python-dev/1.0.0"));
        Files.writeString(template.resolve("template-definition.yaml"), """
                name: "python-dev"
                version: "1.0.0"
                base_image: "vboxmcp-debian:12"
                min_ram: 1024
                min_disk: 3000
                min_cores: 1
                packages:
                  system:
                    - git
                    - curl
                  python:
                    - python3-pip
                    - python3-venv
                scripts:
                  - name: Install Python packages
                    command: pip install -r requirements.txt
                    working_dir: /tmp
                    run_as: root
                environment:
                  PYTHONUNBUFFERED: "1"
                """);
        Files.writeString(template.resolve("requirements.txt"), "hello-vboxmcp==1.0.0\n");
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        List<String> provisionSteps = new CopyOnWriteArrayList<>();  // arrival times: how long each guest step took
        long t0 = System.nanoTime();
        Wheels.Wheel hello = Wheels.make("hello-vboxmcp", "1.0.0", "GREETING = 'hello from the local index'\n");
        try (StaticHttpServer apt = StaticHttpServer.serve(Path.of(mirrorDir));
             PipIndexServer pip = PipIndexServer.serve(tmp.resolve("index"), List.of(hello))) {
            PackageMirrors mirrors = PackageMirrors.builder()
                    .apt(new PackageMirrors.AptSource(URI.create("http://10.0.2.2:" + apt.port() + "/"),
                            List.of("bookworm"), List.of("main"), Files.readAllBytes(Path.of(mirrorDir, "mirror-key.asc")),
                            false))
                    .pipIndex(URI.create("http://10.0.2.2:" + pip.port() + "/simple/")).pipTrustedHost(true)
                    .build();
            try (VmManager m = VmManager.builder().home(tmp.resolve("home")).defaultDriver("qemu")
                    .property(CoreKeys.IMAGE_CATALOG, Path.of(catalog).toUri().toString())
                    .property(CoreKeys.READY_TIMEOUT, "600").packageMirrors(mirrors).progress(e -> {
                        events.add(e);
                        if (e.kind() == ProgressEvent.Kind.INFO && e.step().equals("provision")) {
                            provisionSteps.add((System.nanoTime() - t0) / 1_000_000 + " ms " + e.message());
                        }
                    }).build()) {
                long start = System.nanoTime();
                try (Vm vm = m.createFromTemplate(CreateVmRequest.builder("seed-debian",
                        TemplateRef.parse("python-dev@1.0.0")).memoryMb(1024).cpus(2).build())) {
                    System.out.println("create took " + (System.nanoTime() - start) / 1_000_000 + " ms");
                    events.stream().filter(e -> e.kind() == ProgressEvent.Kind.STEP_FINISHED
                                    || e.message().startsWith("warning"))
                            .forEach(e -> System.out.println("event: " + e.step() + " " + e.message() + " "
                                    + e.elapsed().toMillis() + " ms"));
                    provisionSteps.forEach(l -> System.out.println("provision: " + l));
                    ExecResult plain = vm.exec("python3 -c 'import hello_vboxmcp; print(hello_vboxmcp.GREETING)'");
                    assertThat(plain.stdout().trim()).as(plain.stderr()).isEqualTo("hello from the local index");
                    ExecResult login = vm.exec("sh -lc 'command -v pip; git --version; curl --version | head -n 1'");
                    assertThat(login.stdout()).as(login.stderr()).contains("/opt/vboxmcp/venv/bin/pip", "git version");
                    assertThat(vm.exec("ls /etc/apt/sources.disabled-by-vboxmcp").stdout()).isNotBlank();
                    assertThat(apt.requests()).anyMatch(r -> r.contains("/pool/main/") && r.contains("git_"));
                    assertThat(pip.requests()).contains("GET /files/" + hello.fileName());
                }
            }
        }
    }
}
