package io.vboxmcp.cli.internal;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import io.vboxmcp.testkit.VmHostResidue;
import io.vboxmcp.testkit.http.DebianGuestFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue #17's end-to-end acceptance: an agent, here the MCP SDK's own client over stdio, drives a real
 * {@code vboxmcp mcp} process that creates the seed's {@code python-dev} template on the real Debian 12 guest
 * ({@code debian:12} of {@code scripts/build-debian-image.sh}), runs {@code python3 -c ...} in it with
 * {@code exec_in_vm}, reads the structured result and destroys the VM, leaving no process, folder or port. No
 * Internet: {@link DebianGuestFixture} serves the image, a signed apt mirror and a pip index on 127.0.0.1, handed to
 * the server with its mirror options, as an operator of an offline host would.
 *
 * <p>The template is the real {@code examples/templates/python-dev}, shares included: the operator's policy
 * ({@code shared_folders: {root, writable: [code]}}) gives the VM host folders the server makes under its root,
 * whatever host paths the template names; the guest writes into {@code code} and reaches the host folder, and
 * cannot write into the read-only {@code datasets}. The agent names no host path anywhere. One Debian boot for the
 * class (about two minutes under TCG), under UEFI: the server runs with {@code VBOXMCP_QEMU_FIRMWARE=uefi}, so this
 * class is also the one that boots the Debian image with OVMF (the other Debian tests use SeaBIOS). Needs root (the image build); skipped otherwise.
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class McpPythonDevOnDebianTest {
    static final Path SEED = Launcher.ROOT.resolve("examples/templates/python-dev");
    static final String VM = "agent-py";

    Path tmp;
    Path home;
    /** The operator's share root: the policy's {@code shared_folders.root}. */
    Path shares;
    DebianGuestFixture debian;
    McpSyncClient client;
    final List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
    /** When each notification arrived (ms after the call began), printed for the step timings in docs/mcp.md. */
    final Map<McpSchema.ProgressNotification, Long> arrived = new java.util.concurrent.ConcurrentHashMap<>();
    volatile long callStart;
    Map<String, Object> created;
    long createMs;
    final List<Integer> heldPorts = new ArrayList<>();

    @BeforeAll
    void startTheServer(@TempDir Path dir) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "building the Debian image needs root (mmdebstrap, mke2fs -d); CI runs as root");
        tmp = dir;
        home = tmp.resolve("home");
        debian = DebianGuestFixture.start(Launcher.ROOT, Files.createDirectories(tmp.resolve("fixture")));

        Launcher.Result installed = new Launcher(home).run("install", SEED.toString());
        assertThat(installed.exit()).as(installed.show()).isZero();
        shares = tmp.resolve("shares");
        Path policy = tmp.resolve("policy.yaml");
        Files.writeString(policy, """
                # the operator's file: python-dev only, one VM, the template's own minimums as the ceilings,
                # its shares made per VM under the operator's root, only `code` writable
                templates: ["python-dev@^1"]
                per_vm: {memory_mb: 2048, cpus: 2, disk_mb: 20000}
                total:  {memory_mb: 2048, cpus: 2, disk_mb: 20000}
                max_vms: 1
                shared_folders: {root: %s, writable: [code]}
                exec: {max_output_bytes: 4096, max_timeout: 2m}
                """.formatted(shares));
        ServerParameters params = ServerParameters.builder(Launcher.SCRIPT.toString())
                .args("--home", home.toString(), "mcp", "--policy", policy.toString(),
                        "--image-catalog", debian.catalog().toString(),
                        "--apt-mirror", debian.aptUrl().toString(), "--apt-suite", "bookworm",
                        "--apt-key", debian.aptKeyFile().toString(),
                        "--pip-index", debian.pipIndexUrl().toString(), "--pip-trusted-host",
                        // a Debian boot under TCG on a busy 2-core host can pass the default 180 s
                        "--ready-timeout", "900")
                // booted under UEFI (OVMF): the Debian image's own boot loader under UEFI is tested here, on a create
                // that runs anyway (PythonDevOnDebianTest used to boot a second, failing Debian VM for it; CI time)
                .env(Map.of("VBOXMCP_CLI_CLASSES", "1", "VBOXMCP_QEMU_FIRMWARE", "uefi")).build();
        client = McpClient.sync(new StdioClientTransport(params, McpJsonDefaults.getMapper()))
                .clientInfo(new McpSchema.Implementation("python-agent", "1.0")).requestTimeout(Duration.ofMinutes(20))
                .progressConsumer(p -> {
                    arrived.put(p, (System.nanoTime() - callStart) / 1_000_000);
                    progress.add(p);
                }).build();
        client.initialize();
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (client != null) {
                client.closeGracefully();  // end of input: the server destroys whatever it still owns
            }
        } finally {
            if (debian != null) {
                debian.close();
            }
        }
    }

    @Test
    @Order(1)
    void createVm_pythonDevOnDebian12_sendsProgress_andProvisionsFromTheLocalMirrors() throws Exception {
        long t0 = System.nanoTime();
        callStart = t0;
        McpSchema.CallToolResult r = client.callTool(McpSchema.CallToolRequest.builder("create_vm")
                .arguments(Map.of("name", VM, "template", "python-dev")).progressToken("py-create").build());
        createMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("create_vm python-dev on debian:12 through vboxmcp mcp took %d ms%n", createMs);
        progress.stream().sorted(java.util.Comparator.comparingDouble(McpSchema.ProgressNotification::progress))
                .forEach(p -> System.out.printf("  %7d ms  %4.1f  %s%n", arrived.get(p), p.progress(), p.message()));
        created = ok(r);
        assertThat(created).containsEntry("name", VM).containsEntry("state", "RUNNING")
                .containsEntry("template", "python-dev").containsEntry("version", "1.0.0")
                .containsEntry("memory_mb", 2048).containsEntry("cpus", 2);
        assertThat(((Map<?, ?>) created.get("ports")).keySet()).extracting(String::valueOf)
                .containsExactlyInAnyOrder("8000", "8080");

        assertThat(progress).as("progress notifications while it ran").isNotEmpty()
                .extracting(McpSchema.ProgressNotification::progressToken).containsOnly("py-create");
        assertThat(progress).extracting(McpSchema.ProgressNotification::message)
                .anyMatch(m -> m.startsWith("guest-ready")).anyMatch(m -> m.startsWith("provision"))
                .contains("ready");
        assertThat(debian.images().requests()).as("the disk came from the loopback server").contains("GET /disk.qcow2");
        assertThat(debian.pip().requests()).as("pip installed from the local index")
                .contains("GET /files/" + debian.hello().fileName());
        for (String pkg : DebianGuestFixture.MIRROR_PACKAGES) {
            assertThat(debian.apt().requests()).as(pkg + " from the apt mirror")
                    .anyMatch(q -> q.startsWith("GET /pool/main/" + pkg + "_") && q.endsWith(".deb"));
        }
        Path vmDir = home.resolve("vms").resolve(VM);
        assertThat(VmHostResidue.processes(vmDir)).as("the VM's QEMU runs").isNotEmpty();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(shares.resolve(VM))))
                .as("the VM's share folder, made by the server").isEqualTo("rwx------");
        assertThat(shares.resolve(VM).resolve("code")).isDirectory();
        assertThat(shares.resolve(VM).resolve("datasets")).isDirectory();
        heldPorts.addAll(VmHostResidue.listeningPorts(vmDir));
        assertThat(heldPorts).as("SSH and the two template ports are forwarded").hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    @Order(2)
    void execInVm_python3_importsTheTemplatesPipPackage_andComputesFromTheInput() throws Exception {
        String input = "agent-" + UUID.randomUUID();
        // what the guest must print: computed here from a fresh input, so no fixed answer can pass
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(input.getBytes(StandardCharsets.UTF_8)));
        Map<String, Object> r = ok(call("exec_in_vm", Map.of("name", VM, "command",
                "python3 -c 'import hashlib, sys, vboxmcp_hello; w = sys.argv[1]; print(vboxmcp_hello.greeting(w)); "
                        + "print(hashlib.sha256(w.encode()).hexdigest()); print(sys.version_info[0])' " + input,
                "timeout_seconds", 60)));
        assertThat(r).containsEntry("exit_code", 0).containsEntry("stderr", "").containsEntry("truncated", false)
                .containsEntry("timed_out", false);
        assertThat(r.get("stdout")).isEqualTo("hello from " + input + " (vboxmcp-hello 1.0.0)\n" + sha + "\n3\n");

        Map<String, Object> firmware = ok(call("exec_in_vm", Map.of("name", VM, "command",
                "test -d /sys/firmware/efi && echo uefi || echo bios")));
        assertThat(firmware.get("stdout")).as("the server's qemu.firmware=uefi: OVMF started the guest's own loader")
                .isEqualTo("uefi\n");

        Map<String, Object> failing = ok(call("exec_in_vm", Map.of("name", VM, "command",
                "python3 -c 'import sys; print(\"to stderr\", file=sys.stderr); sys.exit(7)'")));
        assertThat(failing).containsEntry("exit_code", 7).containsEntry("stdout", "").containsEntry("stderr",
                "to stderr\n");
    }

    @Test
    @Order(3)
    void shares_codeIsWritableAndReachesTheHostFolderUnderTheRoot_datasetsIsReadOnly() throws Exception {
        String token = "written-in-guest-" + UUID.randomUUID();
        Map<String, Object> write = ok(call("exec_in_vm", Map.of("name", VM, "command",
                "echo " + token + " > /home/developer/code/from-guest.txt && grep ' /home/developer/' /proc/mounts")));
        assertThat(write).as(String.valueOf(write)).containsEntry("exit_code", 0);
        assertThat(shares.resolve(VM).resolve("code").resolve("from-guest.txt")).hasContent(token);
        // the mounts: 9p, code read-write, datasets read-only
        assertThat(((String) write.get("stdout")).lines()).anyMatch(l -> l.contains(" /home/developer/code 9p rw"))
                .anyMatch(l -> l.contains(" /home/developer/datasets 9p ro"));

        String data = "from-the-operator-" + UUID.randomUUID();
        Files.writeString(shares.resolve(VM).resolve("datasets").resolve("input.txt"), data);
        Map<String, Object> read = ok(call("exec_in_vm", Map.of("name", VM, "command",
                "cat /home/developer/datasets/input.txt")));
        assertThat(read).containsEntry("exit_code", 0).containsEntry("stdout", data);
        Map<String, Object> refused = ok(call("exec_in_vm", Map.of("name", VM, "command",
                "echo x > /home/developer/datasets/new.txt")));
        assertThat((int) refused.get("exit_code")).as("writing into the read-only share fails").isNotZero();
        assertThat((String) refused.get("stderr")).contains("Read-only file system");
        assertThat(shares.resolve(VM).resolve("datasets").resolve("new.txt")).doesNotExist();
        Files.delete(shares.resolve(VM).resolve("datasets").resolve("input.txt"));
    }

    @Test
    @Order(4)
    void destroyVm_leavesNoProcessFolderOrPort() throws Exception {
        assertThat(ok(call("destroy_vm", Map.of("name", VM)))).containsEntry("destroyed", true)
                .containsEntry("cancelled_create", false);
        assertThat(ok(call("list_vms", Map.of()))).containsEntry("vms", List.of());
        Path vmDir = home.resolve("vms").resolve(VM);
        assertThat(vmDir).as("no VM folder").doesNotExist();
        assertThat(VmHostResidue.processes(vmDir)).as("no QEMU process").isEmpty();
        assertThat(heldPorts).isNotEmpty();
        assertThat(VmHostResidue.portsInUse(heldPorts)).as("every forwarded port is free again").isEmpty();
        Launcher.Result status = new Launcher(home).run("status", "--json");
        assertThat(status.json().path("vms")).as(status.show()).isEmpty();
        List<String> audit = Files.readAllLines(home.resolve("audit.log"));
        assertThat(audit).anyMatch(l -> l.contains("\"action\":\"mcp.exec_in_vm\"") && l.contains("\"outcome\":\"ok\"")
                && l.contains("\"client\":\"python-agent\"") && l.contains("\"transport\":\"stdio\""));
        assertThat(audit).anyMatch(l -> l.contains("\"action\":\"mcp.destroy_vm\"") && l.contains("\"outcome\":\"ok\""));
        assertThat(audit).anyMatch(l -> l.contains("\"action\":\"mcp.create_vm\"") && l.contains("\"outcome\":\"ok\"")
                && l.contains("\"shares\":\"code:rw,datasets:ro\""));
        // what the guest wrote stays for the operator; the share it left empty is removed
        assertThat(shares.resolve(VM).resolve("code").resolve("from-guest.txt")).exists();
        assertThat(shares.resolve(VM).resolve("datasets")).doesNotExist();
    }

    McpSchema.CallToolResult call(String tool, Map<String, Object> args) {
        return client.callTool(new McpSchema.CallToolRequest(tool, args));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> ok(McpSchema.CallToolResult r) {
        assertThat(r.isError()).as("tool error: %s", r.content()).isNotEqualTo(Boolean.TRUE);
        return (Map<String, Object>) r.structuredContent();
    }
}
