package io.vboxmcp.libvirt;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.testkit.http.DebianGuestFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real {@code examples/templates/python-dev} on {@code debian:12} end to end through the libvirt driver on
 * {@code qemu:///system}, with the same loopback image server, apt mirror and pip index as the QEMU driver's
 * {@code PythonDevOnDebianTest}. Kept lean for CI (a Debian guest takes minutes under TCG): one VM and only what the
 * acceptance asks, that python-dev provisions (its pip package imports in {@code python3}), that its web server
 * answers on the forwarded port, and that destroy removes the domain and its volumes. The QEMU driver's test checks
 * the template's other details (shares, mirrors, login shells) on the same image. Everything goes afterwards, the
 * pool with its base volume included. {@code -Dvboxmcp.libvirt.debian=false} skips the class (CI's time budget).
 */
@Tag("vm")
@DisabledIfSystemProperty(named = "vboxmcp.libvirt.debian", matches = "false",
        disabledReason = "-Dvboxmcp.libvirt.debian=false: CI's time budget")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PythonDevOnLibvirtTest {
    /** A pool of its own, removed afterwards with the 750 MB base volume (a cache that destroy keeps). */
    static final String POOL = "vboxmcp-python-dev";

    Path tmp;
    DebianGuestFixture debian;
    VmManager manager;
    Vm vm;
    String domain;
    final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    void createThePythonDevVm() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "building the Debian image needs root (mmdebstrap, mke2fs -d); CI runs as root");
        LibvirtFixture.ensureLibvirtd();
        LibvirtFixture.removePool(POOL); // what an interrupted run left
        tmp = Files.createTempDirectory("python-dev-libvirt");
        debian = DebianGuestFixture.start(LibvirtFixture.repoRoot(), Files.createDirectories(tmp.resolve("fixture")));
        Path code = Files.createDirectories(tmp.resolve("projects"));
        Path datasets = Files.createDirectories(tmp.resolve("datasets"));
        Files.writeString(datasets.resolve("iris.csv"), "sepal_length,species\n5.1,setosa\n");
        manager = VmManager.builder().home(tmp.resolve("home")).defaultDriver("libvirt")
                .property(CoreKeys.IMAGE_CATALOG, debian.catalog().toUri().toString())
                .property(CoreKeys.READY_TIMEOUT, "900")
                .property(LibvirtKeys.URI, "qemu:///system")
                .property(LibvirtKeys.POOL, POOL)
                .property(LibvirtKeys.POOL_PATH, "/var/lib/libvirt/images/" + POOL)
                .allowSharedFolderRoot(tmp)
                .packageMirrors(debian.mirrors())
                .progress(events::add).build();
        manager.templates().install(LibvirtFixture.repoRoot().resolve("examples/templates/python-dev"));
        long t0 = System.nanoTime();
        vm = manager.createFromTemplate(CreateVmRequest.builder("python-dev-lv", TemplateRef.parse("python-dev@1.0.0"))
                .hostPath("code", code.toString()).hostPath("datasets", datasets.toString())
                .allowWritableShare("code").build());
        System.out.printf("create of python-dev@1.0.0 on debian:12 through libvirt took %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
        events.stream().filter(e -> e.kind() == ProgressEvent.Kind.STEP_FINISHED && "python-dev-lv".equals(e.vmName()))
                .forEach(e -> System.out.printf("  %-16s %6d ms%n", e.step(), e.elapsed().toMillis()));
        domain = LibvirtFixture.virsh("qemu:///system", "list", "--name").lines().map(String::strip)
                .filter(n -> n.startsWith("vboxmcp-python-dev-lv-")).findFirst().orElseThrow();
    }

    @AfterAll
    void destroy() throws Exception {
        try {
            if (vm != null) { // a check failed before destroy_removesTheDomainAndItsVolumes
                vm.close();
            }
        } finally {
            closeFixtures();
        }
    }

    private void closeFixtures() throws Exception {
        try {
            LibvirtFixture.removePool(POOL);
        } finally {
            closeManagerAndMirrors();
        }
    }

    private void closeManagerAndMirrors() throws Exception {
        try {
            if (manager != null) {
                manager.close();
            }
        } finally {
            try {
                if (debian != null) {
                    debian.close();
                }
            } finally {
                deleteTree(tmp); // the home holds a copy of the Debian image
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    ExecResult exec(String command) throws VboxmcpException {
        return vm.exec(GuestCommand.of(command).withTimeout(Duration.ofSeconds(60)));
    }

    @Test
    @Order(1)
    void pythonDev_provisionsOnALibvirtTcgDomain_andItsPipPackageImports() throws Exception {
        assertThat(LibvirtFixture.virsh("qemu:///system", "dumpxml", domain)).contains("type='qemu'");
        ExecResult r = exec("sh -lc \"python3 -c 'import vboxmcp_hello; print(vboxmcp_hello.greeting())'\"");
        assertThat(r.stdout().trim()).as(r.stderr()).isEqualTo("hello from world (vboxmcp-hello 1.0.0)");
    }

    @Test
    @Order(2)
    void webServer_answersOnTheForwardedPort8000() throws Exception {
        assertThat(get(vm.hostPort(8000).orElseThrow())).isEqualTo("hello from python-dev (vboxmcp-hello 1.0.0)");
    }

    @Test
    @Order(3)
    void destroy_removesTheDomainAndItsVolumes() throws Exception {
        vm.close();
        vm = null;
        assertThat(LibvirtFixture.virsh("qemu:///system", "list", "--all", "--name")).doesNotContain(domain);
        assertThat(LibvirtFixture.virsh("qemu:///system", "vol-list", POOL)).doesNotContain(domain);
    }

    static String get(int port) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return r.body().trim();
                }
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("nothing answered on 127.0.0.1:" + port, last);
    }
}
