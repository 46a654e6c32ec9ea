package io.vboxmcp.qemu;

import com.sun.net.httpserver.HttpServer;
import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmState;
import io.vboxmcp.core.CoreKeys;
import org.junit.jupiter.api.AfterEach;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Issue 3's acceptance: {@code createFromTemplate} through the public API with the QEMU driver, real TCG guests of
 * the test image, a package repository and the image catalog on 127.0.0.1.
 */
@Tag("vm")
class EndToEndTest {
    private static final Pattern SSH_PORT = Pattern.compile("ssh on 127\\.0\\.0\\.1:(\\d+)");

    @TempDir
    Path tmp;
    private Path home;
    private Path share;
    private HttpServer repo;
    private final List<String> repoRequests = new CopyOnWriteArrayList<>();
    private final List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    private final List<VmManager> managers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        home = tmp.resolve("home");
        share = Files.createDirectories(tmp.resolve("shares/data"));
        Files.writeString(share.resolve("hello.txt"), "shared from the host\n");
        repo = packageRepository();
        writeTemplate("acceptance", """
                environment:
                  TPKG_REPO: "http://10.0.2.2:%d/repo"
                  APP_MODE: "acceptance test"
                packages:
                  system: ["hello-vboxmcp"]
                ports:
                  - 8000
                shared_folders:
                  - name: data
                    host_path: "%s"
                    guest_path: /mnt/data
                    read_only: true
                scripts:
                  - name: Record user, directory and environment
                    command: mkdir -p www && { id -un; pwd; echo "$APP_MODE"; } > record.txt && cp record.txt www/index.html
                    working_dir: /home/developer
                    run_as: developer
                    timeout: 60s
                  - name: Start the web server
                    command: busybox httpd -p 8000 -h /home/developer/www </dev/null >/dev/null 2>&1
                    working_dir: /home/developer
                    run_as: developer
                    timeout: 30s
                """.formatted(repo.getAddress().getPort(), share));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (VmManager m : managers) {
            for (Vm vm : m.vms()) {
                vm.destroy();
            }
            m.close();
        }
        repo.stop(0);
        assertThat(qemuProcessesUnder(tmp)).as("QEMU processes left by the test").isEmpty();
    }

    private VmManager manager(Path catalog) throws Exception {
        VmManager m = VmManager.builder().home(home)
                .defaultDriver("qemu")
                .property(CoreKeys.IMAGE_CATALOG, catalog.toUri().toString())
                .property(CoreKeys.READY_TIMEOUT, "180")
                .allowSharedFolderRoot(tmp.resolve("shares"))
                .progress(events::add)
                .build();
        managers.add(m);
        return m;
    }

    private VmManager manager() throws Exception {
        return manager(TestImage.catalog());
    }

    private void writeTemplate(String name, String body) throws IOException {
        Path dir = Files.createDirectories(home.resolve("templates").resolve(name).resolve("1.0.0"));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: \"" + name + "\"\nversion: \"1.0.0\"\n"
                + "base_image: \"vboxmcp-test:1\"\nmin_ram: 256\nmin_disk: 256\nmin_cores: 1\n" + body);
    }

    /** A tpkg repository with one package, {@code hello-vboxmcp}, that installs {@code /usr/bin/hello-vboxmcp}. */
    private HttpServer packageRepository() throws Exception {
        Path pkg = Files.createDirectories(tmp.resolve("pkg/usr/bin"));
        Path bin = pkg.resolve("hello-vboxmcp");
        Files.writeString(bin, "#!/bin/sh\necho hello from the local repository\n");
        bin.toFile().setExecutable(true, false);
        Path tgz = tmp.resolve("hello-vboxmcp.tar.gz");
        Process p = new ProcessBuilder("tar", "-czf", tgz.toString(), "-C", tmp.resolve("pkg").toString(), "usr")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor()).as("tar").isZero();
        byte[] bytes = Files.readAllBytes(tgz);
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/repo/", ex -> {
            try (ex) {
                repoRequests.add(ex.getRequestURI().getPath());
                if (!ex.getRequestURI().getPath().equals("/repo/hello-vboxmcp.tar.gz")) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                ex.sendResponseHeaders(200, bytes.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        });
        s.start();
        return s;
    }

    private static String httpGet(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String resp = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int body = resp.indexOf("\r\n\r\n");
            return body < 0 ? "" : resp.substring(body + 4);
        } catch (IOException e) {
            return "";
        }
    }

    private static String out(Vm vm, String cmd) throws VboxmcpException {
        ExecResult r = vm.exec(cmd);
        assertThat(r.exitCode()).as(cmd + ": " + r.stderr()).isZero();
        return r.stdout().trim();
    }

    @Test
    void createFromTemplate_yieldsProvisionedVmThatMeetsTheTemplate() throws Exception {
        VmManager m = manager();
        Vm vm = m.createFromTemplate(CreateVmRequest.builder("acceptance-vm", TemplateRef.parse("acceptance@1.0.0"))
                .memoryMb(384).cpus(2).build());
        Path vmDir = home.resolve("vms/acceptance-vm");
        assertThat(vm.state()).isEqualTo(VmState.RUNNING);

        // a service started by a script answers on the forwarded port from the host
        int web = vm.hostPort(8000).orElseThrow();
        assertThat(httpGet(web)).isEqualTo("developer\n/home/developer\nacceptance test\n");

        // the script ran as the given user, in the given directory, with the given environment (seen in the guest)
        assertThat(out(vm, "cat /home/developer/record.txt")).isEqualTo("developer\n/home/developer\nacceptance test");
        assertThat(out(vm, "stat -c %U /home/developer/record.txt")).isEqualTo("developer");
        // Vm.exec as another user with no working directory starts in that user's home, as GuestCommand says
        ExecResult asDeveloper = vm.exec(io.vboxmcp.GuestCommand.of("id -un; pwd; cat record.txt").withUser("developer"));
        assertThat(asDeveloper.stdout()).startsWith("developer\n/home/developer\ndeveloper\n");

        // the shared folder's file is readable and a write fails (read-only)
        assertThat(out(vm, "cat /mnt/data/hello.txt")).isEqualTo("shared from the host");
        assertThat(vm.exec("echo nope > /mnt/data/written.txt").exitCode()).isNotZero();
        assertThat(share.resolve("written.txt")).doesNotExist();

        // memory and CPU count seen in the guest match the parameters
        assertThat(out(vm, "nproc")).isEqualTo("2");
        long memKb = Long.parseLong(out(vm, "awk '/^MemTotal:/ { print $2 }' /proc/meminfo"));
        assertThat(memKb).isBetween(384L * 1024 * 80 / 100, 384L * 1024);

        // a package from the local repository on 127.0.0.1 was installed by the guest's package manager
        assertThat(repoRequests).contains("/repo/hello-vboxmcp.tar.gz");
        assertThat(out(vm, "hello-vboxmcp")).isEqualTo("hello from the local repository");
        assertThat(out(vm, "tpkg list")).contains("hello-vboxmcp");

        assertThat(events).filteredOn(e -> e.kind() == ProgressEvent.Kind.STEP_FINISHED)
                .extracting(ProgressEvent::step).contains("image", "create", "start", "guest-ready", "provision");

        vm.destroy();
        assertThat(vm.state()).isEqualTo(VmState.DESTROYED);
        assertNothingLeft(vmDir, List.of(web, vm.sshEndpoint().port()));
    }

    @Test
    void failingScript_isTypedErrorNamingScriptAndNothingIsLeft() throws Exception {
        writeTemplate("failing", """
                scripts:
                  - name: Works
                    command: echo fine
                  - name: Breaks on purpose
                    command: echo about to fail; echo details >&2; exit 7
                """);
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> manager().createFromTemplate(
                CreateVmRequest.builder("failing-vm", TemplateRef.parse("failing@1.0.0")).build()));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.PROVISIONING);
        assertThat(e.getMessage()).contains("Breaks on purpose").contains("7");
        assertNothingLeft(home.resolve("vms/failing-vm"), sshPortsSeen());
    }

    @Test
    void unreachableGuest_timesOutAndNothingIsLeft() throws Exception {
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> manager().createFromTemplate(
                CreateVmRequest.builder("slow-vm", TemplateRef.parse("acceptance@1.0.0"))
                        .readyTimeout(Duration.ofMillis(1500)).build()));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.step()).contains("guest-ready");
        assertNothingLeft(home.resolve("vms/slow-vm"), sshPortsSeen());
    }

    @Test
    void hostPortTakenBeforeStart_isTypedErrorAndNothingIsLeft() throws Exception {
        List<ServerSocket> thieves = new CopyOnWriteArrayList<>();
        VmManager m = VmManager.builder().home(home).defaultDriver("qemu")
                .property(CoreKeys.IMAGE_CATALOG, TestImage.catalog().toUri().toString())
                .allowSharedFolderRoot(tmp.resolve("shares"))
                .progress(ev -> {
                    // another program takes the SSH port the driver just allocated, before QEMU binds it
                    Matcher x = SSH_PORT.matcher(ev.message());
                    if (ev.kind() == ProgressEvent.Kind.STEP_FINISHED && x.find()) {
                        try {
                            ServerSocket s = new ServerSocket();
                            s.setReuseAddress(false);
                            s.bind(new InetSocketAddress("127.0.0.1", Integer.parseInt(x.group(1))));
                            thieves.add(s);
                        } catch (IOException ignored) {
                            // the assertion below reports it
                        }
                    }
                    events.add(ev);
                })
                .build();
        managers.add(m);
        try {
            VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> m.createFromTemplate(
                    CreateVmRequest.builder("taken-vm", TemplateRef.parse("acceptance@1.0.0")).build()));
            assertThat(thieves).as("the port was taken").hasSize(1);
            assertThat(e).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
            assertThat(e.getMessage()).contains("already in use");
            assertThat(e.step()).contains("start");
            assertThat(qemuProcessesUnder(tmp)).isEmpty();
            assertThat(home.resolve("vms/taken-vm")).doesNotExist();
        } finally {
            for (ServerSocket s : thieves) {
                s.close();
            }
        }
        assertNothingLeft(home.resolve("vms/taken-vm"), sshPortsSeen());
    }

    @Test
    void baseImageDigestMismatch_isTypedErrorBeforeAnythingStarts() throws Exception {
        Path catalog = TestImage.catalog();
        String json = Files.readString(catalog);
        Matcher sha = Pattern.compile("\"disk\":\\s*\\{[^}]*\"sha256\":\\s*\"([0-9a-f]{64})\"").matcher(json);
        assertThat(sha.find()).isTrue();
        Path bad = Files.createDirectories(tmp.resolve("badcatalog"));
        Files.writeString(bad.resolve("catalog.json"), json.replace(sha.group(1), "0".repeat(64))
                .replace("\"url\": \"", "\"url\": \"" + catalog.getParent().toUri()));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> manager(bad.resolve("catalog.json"))
                .createFromTemplate(CreateVmRequest.builder("digest-vm", TemplateRef.parse("acceptance@1.0.0")).build()));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(home.resolve("cache/images/sha256-" + "0".repeat(64))).doesNotExist();
        assertNothingLeft(home.resolve("vms/digest-vm"), List.of());
    }

    @Test
    void threeVmsCreatedConcurrently_haveDistinctPortsHostKeysAndMachineIds() throws Exception {
        // LCY-16
        VmManager m = manager();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Vm> vms = new ArrayList<>();
        try {
            List<Future<Vm>> f = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                String name = "clone-" + i;
                f.add(pool.submit(() -> m.createFromTemplate(CreateVmRequest.builder(name,
                        TemplateRef.parse("acceptance@1.0.0")).build())));
            }
            for (Future<Vm> x : f) {
                vms.add(x.get());
            }
        } finally {
            pool.shutdownNow();
        }
        Set<Integer> ports = new HashSet<>();
        Set<String> hostKeys = new HashSet<>();
        Set<String> machineIds = new HashSet<>();
        for (Vm vm : vms) {
            ports.add(vm.sshEndpoint().port());
            ports.add(vm.hostPort(8000).orElseThrow());
            hostKeys.add(vm.sshEndpoint().hostKeyPin());
            machineIds.add(out(vm, "cat /etc/machine-id"));
            assertThat(httpGet(vm.hostPort(8000).orElseThrow())).contains("acceptance test");
        }
        assertThat(ports).as("host ports").hasSize(6);
        assertThat(hostKeys).as("pinned SSH host keys").hasSize(3).doesNotContainNull();
        assertThat(machineIds).as("machine ids").hasSize(3);
    }

    private List<Integer> sshPortsSeen() {
        List<Integer> ports = new ArrayList<>();
        for (ProgressEvent e : events) {
            Matcher x = SSH_PORT.matcher(e.message());
            if (x.find()) {
                ports.add(Integer.parseInt(x.group(1)));
            }
        }
        return ports;
    }

    private void assertNothingLeft(Path vmDir, List<Integer> ports) throws IOException {
        assertThat(qemuProcessesUnder(tmp)).as("QEMU processes").isEmpty();
        assertThat(vmDir).as("VM folder").doesNotExist();
        for (int p : ports) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress("127.0.0.1", p));
            } catch (IOException e) {
                throw new AssertionError("host port " + p + " is still in use", e);
            }
        }
    }

    private static List<Long> qemuProcessesUnder(Path dir) throws IOException {
        return QemuGuestTest.qemuProcessesFor(dir);
    }
}
