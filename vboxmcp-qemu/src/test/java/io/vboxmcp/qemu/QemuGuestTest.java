package io.vboxmcp.qemu;

import io.vboxmcp.testkit.StubProviderContext;
import com.sun.net.httpserver.HttpServer;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.core.internal.image.ImageStore;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.qemu.internal.QemuDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** What a guest of the QEMU driver sees, and what the host keeps, beyond the compatibility kit. */
@Tag("vm")
class QemuGuestTest {
    private static BaseImage image;
    private static SshKeys.SshKeyPair key;

    @TempDir
    Path work;
    private HypervisorDriver driver;
    private final List<Machine> machines = new CopyOnWriteArrayList<>();

    @TempDir
    static Path keys;

    @BeforeAll
    static void image() throws Exception {
        image = TestImage.baseImage();
        key = SshKeys.generate(keys, "qemu-guest-test");
    }

    @BeforeEach
    void driver() throws Exception {
        driver = new QemuDriverFactory().create(new StubProviderContext(work.resolve("home"), Map.of()));
    }

    @AfterEach
    void destroy() throws Exception {
        for (Machine m : machines) {
            driver.destroy(m);
        }
        driver.close();
    }

    private VmPlan plan(String name, int memoryMb, int cpus, List<PortForward> ports) throws Exception {
        List<PortForward> all = new ArrayList<>();
        all.add(new PortForward(22, 0, "127.0.0.1"));
        all.addAll(ports);
        TemplateDefinition t = new TemplateDefinition("guest-test", SemanticVersion.parse("1.0.0"), null, null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        return new VmPlan(name, t, "sha256:" + "0".repeat(64), null, "qemu", memoryMb, cpus, 512, all, List.of());
    }

    private MachineSpec spec(VmPlan plan, BaseImage img) throws IOException {
        Path dir = Files.createDirectories(work.resolve("vms").resolve(plan.vmName()));
        return new MachineSpec(plan, dir, img, key.publicKeyLine(), "root", "iid-" + UUID.randomUUID(), ProgressListener.NONE);
    }

    private Machine boot(VmPlan plan) throws Exception {
        Machine m = driver.create(spec(plan, image));
        machines.add(m);
        driver.start(m);
        return m;
    }

    private SshGuestChannel ssh(Machine m) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        VboxmcpException last = null;
        while (System.nanoTime() < deadline) {
            try {
                return SshGuestChannel.connect(m.sshHost(), m.sshPort(), "root", key.keyPair(),
                        work.resolve("pins").resolve(m.name()), Duration.ofSeconds(10));
            } catch (VboxmcpException e) {
                last = e;
                Thread.sleep(500);
            }
        }
        throw new AssertionError("guest " + m.name() + " never answered SSH; console:\n" + driver.consoleTail(m, 30), last);
    }

    private static String run(SshGuestChannel ch, String cmd) throws VboxmcpException {
        ExecResult r = ch.exec(GuestCommand.of(cmd).withTimeout(Duration.ofSeconds(60)));
        assertThat(r.exitCode()).as(cmd + ": " + r.stderr()).isZero();
        return r.stdout().trim();
    }

    @Test
    void threeConcurrentMachines_haveDistinctPortsHostKeysAndMachineIds() throws Exception {
        // LCY-16
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Machine> started = new ArrayList<>();
        try {
            List<Future<Machine>> f = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                VmPlan p = plan("lcy16-" + i + "-" + UUID.randomUUID().toString().substring(0, 6), 256, 1,
                        List.of(new PortForward(8080, 0, "127.0.0.1")));
                f.add(pool.submit(() -> boot(p)));
            }
            for (Future<Machine> x : f) {
                started.add(x.get());
            }
        } finally {
            pool.shutdownNow();
        }
        Set<Integer> ports = new HashSet<>();
        Set<String> hostKeys = new HashSet<>();
        Set<String> machineIds = new HashSet<>();
        Set<String> hostnames = new HashSet<>();
        for (Machine m : started) {
            ports.add(m.sshPort());
            ports.add(m.ports().get(8080));
            try (SshGuestChannel ch = ssh(m)) {
                hostKeys.add(ch.hostKeyFingerprint());
                machineIds.add(run(ch, "cat /etc/machine-id"));
                hostnames.add(run(ch, "hostname"));
            }
        }
        assertThat(ports).as("host ports of three machines").hasSize(6);
        assertThat(hostKeys).as("SSH host keys").hasSize(3);
        assertThat(machineIds).as("machine ids").hasSize(3).allSatisfy(id -> assertThat(id).matches("[0-9a-f]{32}"));
        assertThat(hostnames).as("hostnames from cloud-init").hasSize(3);
    }

    @Test
    void portTakenAtCreate_isTypedErrorAndLeavesNoProcessFileOrPort() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            VmPlan plan = plan("taken-" + UUID.randomUUID().toString().substring(0, 6), 256, 1,
                    List.of(new PortForward(8080, taken.getLocalPort(), "127.0.0.1")));
            MachineSpec spec = spec(plan, image);

            VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> driver.create(spec));

            assertThat(e).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
            assertThat(e.getMessage()).contains(String.valueOf(taken.getLocalPort())).contains("already in use");
            assertNothingLeft(spec.vmDir(), List.of());
        }
    }

    @Test
    void portTakenBeforeStart_isTypedErrorAndDestroyLeavesNoProcessFileOrPort() throws Exception {
        VmPlan plan = plan("late-" + UUID.randomUUID().toString().substring(0, 6), 256, 1,
                List.of(new PortForward(8080, 0, "127.0.0.1")));
        MachineSpec spec = spec(plan, image);
        Machine m = driver.create(spec);
        machines.add(m);
        int stolen = m.ports().get(8080);
        VboxmcpException e;
        // another program grabs the port between create and start
        try (ServerSocket thief = new ServerSocket()) {
            thief.setReuseAddress(false);
            thief.bind(new InetSocketAddress("127.0.0.1", stolen));
            e = catchThrowableOfType(VboxmcpException.class, () -> driver.start(m));
        }
        assertThat(e).as("start with a stolen port").isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
        assertThat(e.getMessage()).contains("already in use");
        driver.destroy(m);
        assertThat(driver.state(m)).isEqualTo(VmState.DESTROYED);
        assertNothingLeft(spec.vmDir(), List.of(m.sshPort(), stolen));
    }

    @Test
    void destroyRunningMachine_leavesNoProcessOverlaySocketOrPort() throws Exception {
        Machine m = boot(plan("gone-" + UUID.randomUUID().toString().substring(0, 6), 256, 1,
                List.of(new PortForward(8080, 0, "127.0.0.1"))));
        assertThat(qemuProcessesFor(m.vmDir())).as("QEMU processes while running").hasSize(1);
        Path socket = Path.of(m.attributes().get("qmpSocket"));
        assertThat(socket).exists();
        driver.destroy(m);
        assertThat(socket).doesNotExist();
        assertNothingLeft(m.vmDir(), List.of(m.sshPort(), m.ports().get(8080)));
    }

    @Test
    void bootsTestImageResolvedFromLoopbackHttpCatalog_andSeesPlannedMemoryAndCpus() throws Exception {
        // the image goes through the catalog, the HTTP download and the content-addressed cache before it boots;
        // the same guest shows the plan's memory and CPUs (one boot for both checks, CI time)
        Path dir = TestImage.catalog().getParent();
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", ex -> {
            try (ex) {
                Path f = dir.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
                if (!f.startsWith(dir) || !Files.isRegularFile(f)) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                ex.sendResponseHeaders(200, Files.size(f));
                try (OutputStream out = ex.getResponseBody(); InputStream in = Files.newInputStream(f)) {
                    in.transferTo(out);
                }
            }
        });
        http.start();
        try {
            URI catalog = URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/catalog.json");
            ImageStore store = new ImageStore(work.resolve("home"), List.of(catalog), HttpClient.newHttpClient());
            BaseImage downloaded = store.resolve(image.reference(), ProgressListener.NONE);
            assertThat(downloaded.disk()).startsWith(work.resolve("home/cache/images"));
            assertThat(downloaded.digest()).isEqualTo(image.digest());

            VmPlan plan = plan("http-" + UUID.randomUUID().toString().substring(0, 6), 384, 2, List.of());
            Machine m = driver.create(spec(plan, downloaded));
            machines.add(m);
            driver.start(m);
            try (SshGuestChannel ch = ssh(m)) {
                assertThat(run(ch, "cat /etc/vboxmcp-image")).startsWith(image.reference());
                assertThat(run(ch, "nproc")).isEqualTo("2");
                long memKb = Long.parseLong(run(ch, "awk '/^MemTotal:/ { print $2 }' /proc/meminfo"));
                // the kernel keeps some memory for itself; MemTotal is the plan minus that
                assertThat(memKb).as("MemTotal in kB for a 384 MB plan").isBetween(384L * 1024 * 80 / 100, 384L * 1024);
            }
        } finally {
            http.stop(0);
        }
    }

    private static void assertNothingLeft(Path vmDir, List<Integer> ports) throws IOException {
        assertThat(qemuProcessesFor(vmDir)).as("QEMU processes of " + vmDir).isEmpty();
        if (Files.exists(vmDir)) {
            try (Stream<Path> s = Files.list(vmDir)) {
                assertThat(s.toList()).as("files left in " + vmDir).isEmpty();
            }
        }
        for (int p : ports) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress("127.0.0.1", p));
            } catch (IOException e) {
                throw new AssertionError("host port " + p + " is still in use", e);
            }
            try (Socket c = new Socket()) {
                c.connect(new InetSocketAddress("127.0.0.1", p), 500);
                throw new AssertionError("something still listens on host port " + p);
            } catch (IOException expected) {
                // nothing listens
            }
        }
    }

    /** Live processes whose command line names the VM folder. */
    static List<Long> qemuProcessesFor(Path vmDir) throws IOException {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmd.contains("qemu") && cmd.contains(vmDir.toString())) {
                        found.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // the process ended while we looked
                }
            }
        }
        return found;
    }
}
