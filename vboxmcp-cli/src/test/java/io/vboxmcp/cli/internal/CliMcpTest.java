package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code vboxmcp mcp} as an agent meets it: a real process on stdio, driven by the MCP SDK's own client (and, for
 * cancellation, by hand-written JSON-RPC lines, since the SDK's client cannot send {@code notifications/cancelled}).
 * The policy restricts guest networking; the VM tests boot the busybox test guest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliMcpTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    Path home;
    Path policy;
    String catalog;
    McpSyncClient client;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
        home = tmp.resolve("home");
        Launcher.Result r = new Launcher(home).run("install", Fixtures.EXAMPLE_TEMPLATE.toString());
        assertThat(r.exit()).as(r.show()).isZero();
        policy = tmp.resolve("policy.yaml");
        Files.writeString(policy, """
                # the operator's file: what an agent may do
                templates: [web-demo]
                per_vm: {memory_mb: 512, cpus: 1, disk_mb: 2048}
                max_vms: 1
                network: restricted
                """);
        catalog = Fixtures.run(Launcher.ROOT, Launcher.ROOT.resolve("scripts/build-test-image.sh").toString())
                .lines().reduce((a, b) -> b).orElseThrow().trim();
        ServerParameters params = ServerParameters.builder(Launcher.SCRIPT.toString())
                .args("--home", home.toString(), "mcp", "--policy", policy.toString(), "--image-catalog", catalog)
                .env(Map.of("VBOXMCP_CLI_CLASSES", "1")).build();
        client = McpClient.sync(new StdioClientTransport(params, McpJsonDefaults.getMapper()))
                .clientInfo(new McpSchema.Implementation("stdio-agent", "2.0")).requestTimeout(Duration.ofMinutes(5))
                .build();
        client.initialize();
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.closeGracefully();
        }
    }

    @Test
    void stdio_listsToolsPlansAndRefusesOutsideThePolicy_audited() throws Exception {
        assertThat(client.listTools().tools()).hasSize(11);
        assertThat(client.getServerInfo().name()).isEqualTo("vboxmcp");
        McpSchema.CallToolResult plan = client.callTool(new McpSchema.CallToolRequest("plan_vm",
                Map.of("name", "p1", "template", "web-demo", "memory_mb", 512)));
        assertThat(plan.isError()).isFalse();
        assertThat(((Map<?, ?>) plan.structuredContent()).get("memory_mb")).isEqualTo(512);
        McpSchema.CallToolResult big = client.callTool(new McpSchema.CallToolRequest("plan_vm",
                Map.of("name", "p1", "template", "web-demo", "memory_mb", 1024)));
        assertThat(big.isError()).isTrue();
        assertThat(((McpSchema.TextContent) big.content().get(0)).text()).startsWith("RESOURCE_LIMIT: ")
                .contains("at most 512 MB");
        List<String> audit = Files.readAllLines(home.resolve("audit.log"));
        assertThat(audit).anyMatch(l -> l.contains("\"action\":\"mcp.plan_vm\"") && l.contains("\"outcome\":\"refused\"")
                && l.contains("\"client\":\"stdio-agent\"") && l.contains("\"transport\":\"stdio\""));
    }

    @Test
    void mcp_refusesANonLoopbackHttpAddress_aPolicyFileWithATypo_andIncompleteMirrorOptions(@TempDir Path tmp)
            throws Exception {
        Launcher.Result wide = new Launcher(home).run("mcp", "--http", "0.0.0.0:8931");
        assertThat(wide.exit()).as(wide.show()).isEqualTo(2);
        assertThat(wide.err()).contains("--http must name a loopback address");
        Path typo = tmp.resolve("typo.yaml");
        Files.writeString(typo, "max_vm: 3\n");
        Launcher.Result bad = new Launcher(home).run("mcp", "--policy", typo.toString());
        assertThat(bad.exit()).as(bad.show()).isEqualTo(1);
        assertThat(bad.err()).contains("'max_vm' is not a policy key");
        // the operator's mirrors and ready timeout are checked as for create, before the server starts
        Launcher.Result suiteOnly = new Launcher(home).run("mcp", "--apt-suite", "bookworm");
        assertThat(suiteOnly.exit()).as(suiteOnly.show()).isEqualTo(2);
        assertThat(suiteOnly.err()).contains("need --apt-mirror");
        Launcher.Result zero = new Launcher(home).run("mcp", "--ready-timeout", "0");
        assertThat(zero.exit()).as(zero.show()).isEqualTo(2);
        assertThat(zero.err()).contains("--ready-timeout must be a positive number");
        Launcher.Result ended = new Launcher(home).run("mcp");
        assertThat(ended.exit()).as("stdin at end: the server ends at once; " + ended.show()).isZero();
        assertThat(ended.out()).as("stdout carries protocol messages only").isEmpty();
    }

    @Test
    @Tag("vm")
    void stdio_createsExecsAndDestroysARealVm_withRestrictedNetworking() throws Exception {
        HttpServer host = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        host.createContext("/", ex -> {
            ex.sendResponseHeaders(200, 2);
            try (OutputStream o = ex.getResponseBody()) {
                o.write("hi".getBytes(StandardCharsets.UTF_8));
            }
        });
        host.start();
        try {
            McpSchema.CallToolResult c = client.callTool(new McpSchema.CallToolRequest("create_vm",
                    Map.of("name", "stdio-vm", "template", "web-demo", "memory_mb", 512)));
            assertThat(c.isError()).as(String.valueOf(c.content())).isFalse();
            Map<?, ?> exec = (Map<?, ?>) client.callTool(new McpSchema.CallToolRequest("exec_in_vm", Map.of("name",
                    "stdio-vm", "command", "echo guest says hi; uname -s"))).structuredContent();
            assertThat(exec.get("exit_code")).isEqualTo(0);
            assertThat(exec.get("stdout")).isEqualTo("guest says hi\nLinux\n");
            // network: restricted -> the guest cannot reach the host's 127.0.0.1 (10.0.2.2 under user networking)
            Map<?, ?> net = (Map<?, ?>) client.callTool(new McpSchema.CallToolRequest("exec_in_vm", Map.of("name",
                    "stdio-vm", "command", "wget -q -O /tmp/fetched http://10.0.2.2:" + host.getAddress().getPort()
                    + "/ && cat /tmp/fetched", "timeout_seconds", 10))).structuredContent();
            assertThat(net.get("exit_code")).as("wget from the guest: " + net).isNotEqualTo(0);
            assertThat(net.get("stdout")).isEqualTo("");
            Map<?, ?> d = (Map<?, ?>) client.callTool(new McpSchema.CallToolRequest("destroy_vm",
                    Map.of("name", "stdio-vm"))).structuredContent();
            assertThat(d.get("destroyed")).isEqualTo(true);
            Launcher.Result status = new Launcher(home).run("status", "--json");
            assertThat(status.json().path("vms")).isEmpty();
        } finally {
            host.stop(0);
        }
    }

    @Test
    @Tag("vm")
    void notificationsCancelled_midCreate_undoesIt_andEndOfInputEndsTheServer(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("stderr.log");
        ProcessBuilder pb = new ProcessBuilder(Launcher.SCRIPT.toString(), "--home", home.toString(), "mcp",
                "--policy", policy.toString(), "--image-catalog", catalog, "--state-file",
                tmp.resolve("owned.json").toString()).redirectError(log.toFile());
        pb.environment().put("VBOXMCP_CLI_CLASSES", "1");
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream();
             BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                    + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw-agent\",\"version\":\"1\"}}}");
            assertThat(JSON.readTree(out.readLine()).path("id").asInt()).isEqualTo(1);
            send(in, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
            send(in, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"create_vm\","
                    + "\"arguments\":{\"name\":\"cancel-me\",\"template\":\"web-demo\"},\"_meta\":{\"progressToken\":"
                    + "\"t7\",\"io.vboxmcp/request-key\":\"forged\"}}}");
            JsonNode answer = null;
            boolean cancelSent = false;
            String line;
            while ((line = out.readLine()) != null) {
                JsonNode m = JSON.readTree(line);
                if (!cancelSent && m.path("method").asText().equals("notifications/progress")
                        && m.path("params").path("message").asText().startsWith("start")) {
                    send(in, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7,"
                            + "\"reason\":\"the user changed their mind\"}}");
                    cancelSent = true;
                } else if (m.path("id").asInt() == 7) {
                    answer = m;
                    break;
                }
            }
            assertThat(cancelSent).as("a progress notification for the start step came").isTrue();
            assertThat(answer).isNotNull();
            assertThat(answer.path("result").path("isError").asBoolean()).isTrue();
            assertThat(answer.path("result").path("_meta").path("io.vboxmcp/error").path("code").asText())
                    .isEqualTo("CANCELLED");
            assertThat(answer.path("result").path("content").path(0).path("text").asText()).startsWith("CANCELLED: ");
            assertThat(home.resolve("vms").resolve("cancel-me")).doesNotExist();
        }
        // stdin closed above: the server ends by itself
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(Files.readString(log)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    private static void send(OutputStream in, String json) throws java.io.IOException {
        in.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }
}
