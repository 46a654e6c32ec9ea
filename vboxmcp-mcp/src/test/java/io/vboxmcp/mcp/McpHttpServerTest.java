package io.vboxmcp.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.vboxmcp.VmManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.vboxmcp.mcp.McpFixtures.call;
import static io.vboxmcp.mcp.McpFixtures.errorCode;
import static io.vboxmcp.mcp.McpFixtures.ok;
import static io.vboxmcp.mcp.McpFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The server over Streamable HTTP on 127.0.0.1 with the SDK's own client: every tool listed with schemas, the
 * read-only tools, resources and prompts, and every refusal typed, clear and audited. No VM is booted here
 * ({@link McpVmTest} does).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpHttpServerTest {
    Path tmp;
    Path home;
    McpFixtures.Served mcp;
    McpSyncClient client;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        tmp = dir;
        home = tmp.resolve("home");
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        VmManager manager = VmManager.builder().home(home).allowSharedFolderRoot(shared).build();
        manager.templates().install(McpFixtures.WEB_DEMO);
        manager.templates().install(McpFixtures.template(tmp, "not-allowed", ""));
        manager.templates().install(McpFixtures.template(tmp, "shares-host", """
                shared_folders:
                  - name: data
                    host_path: %s
                    guest_path: /data
                    read_only: true
                """.formatted(shared)));
        mcp = McpFixtures.serve(manager, tmp, """
                templates: [web-demo, "shares-host@^1"]
                per_vm: {memory_mb: 1024, cpus: 2, disk_mb: 4096}
                total: {memory_mb: 1024, cpus: 2, disk_mb: 4096}
                max_vms: 1
                exec: {max_output_bytes: 1024, max_timeout: 2m}
                copy: {max_bytes: 4096}
                """, "test-agent");
        client = mcp.client();
    }

    @AfterAll
    void stop() {
        mcp.close();
    }

    @Test
    void listTools_everyToolWithInputAndOutputSchemas() {
        List<McpSchema.Tool> tools = client.listTools().tools();
        assertThat(tools).extracting(McpSchema.Tool::name).containsExactlyElementsOf(McpPolicy.ALL_TOOLS);
        for (McpSchema.Tool t : tools) {
            assertThat(t.inputSchema()).as(t.name()).containsEntry("type", "object")
                    .containsEntry("additionalProperties", false);
            assertThat(t.outputSchema()).as(t.name()).containsEntry("type", "object");
            assertThat(t.description()).as(t.name()).isNotBlank();
        }
        assertThat(tools.stream().filter(t -> t.name().equals("destroy_vm")).findFirst().orElseThrow()
                .annotations().destructiveHint()).isTrue();
    }

    @Test
    void searchTemplates_listsOnlyWhatThePolicyAllows() {
        Map<String, Object> r = ok(call(client, "search_templates", Map.of()));
        assertThat(names(r.get("templates"))).containsExactlyInAnyOrder("web-demo", "shares-host");
        Map<String, Object> q = ok(call(client, "search_templates", Map.of("query", "busybox web")));
        assertThat(names(q.get("templates"))).containsExactly("web-demo");
    }

    @Test
    void describeTemplate_givesVersionsMinimumsAndSigner() {
        Map<String, Object> d = ok(call(client, "describe_template", Map.of("template", "web-demo")));
        assertThat(d).containsEntry("name", "web-demo").containsEntry("version", "1.0.0")
                .containsEntry("versions", List.of("1.0.0")).containsEntry("min_memory_mb", 256)
                .containsEntry("min_cpus", 1).containsEntry("base_image", "vboxmcp-test:1")
                .containsEntry("source", "local").containsEntry("ports", List.of(8000));
        assertThat(d.get("signer")).as("a local unsigned template").isNull();
        assertThat((String) d.get("digest")).startsWith("sha256:");
    }

    @Test
    void planVm_isADryRunWithinThePolicy() throws Exception {
        Map<String, Object> p = ok(call(client, "plan_vm", Map.of("name", "planned", "template", "web-demo",
                "memory_mb", 512)));
        assertThat(p).containsEntry("vm", "planned").containsEntry("memory_mb", 512).containsEntry("cpus", 1)
                .containsEntry("driver", "qemu").containsEntry("ports", List.of(8000));
        assertThat((String) p.get("describe")).contains("resources: 512 MB memory");
        assertThat(mcp.manager().vms()).as("a plan creates nothing").isEmpty();
        assertThat(ok(call(client, "list_vms", Map.of()))).containsEntry("vms", List.of());
    }

    @Test
    void policyRefusals_areTypedClearAndAudited() throws Exception {
        McpSchema.CallToolResult tpl = call(client, "plan_vm", Map.of("name", "x", "template", "not-allowed"));
        assertThat(errorCode(tpl)).isEqualTo("POLICY_VIOLATION");
        assertThat(text(tpl)).contains("not-allowed@1.0.0 is not allowed by this server's policy");

        McpSchema.CallToolResult slow = call(client, "exec_in_vm", Map.of("name", "x", "command", "true",
                "timeout_seconds", 3600));
        assertThat(errorCode(slow)).isEqualTo("POLICY_VIOLATION");
        assertThat(text(slow)).contains("policy maximum of 120 s");
        assertThat(mcp.manager().vms()).isEmpty();

        List<JsonNode> refused = McpFixtures.audit(home).stream()
                .filter(r -> r.path("outcome").asText().equals("refused") && r.path("client").asText().equals("test-agent"))
                .toList();
        assertThat(refused).anySatisfy(r -> assertThat(r.path("action").asText()).isEqualTo("mcp.plan_vm"))
                .anySatisfy(r -> assertThat(r.path("reason").asText()).contains("policy maximum of 120 s"))
                .allSatisfy(r -> assertThat(r.path("transport").asText()).isEqualTo("http"));
        assertThat(mcp.manager().audit().verify()).as("the chain stays intact").isEmpty();
    }

    @Test
    void createVm_overThePolicyCeilings_isRefusedBeforeAnythingStarts_RES01() throws Exception {
        McpSchema.CallToolResult big = call(client, "create_vm", Map.of("name", "big", "template", "web-demo",
                "memory_mb", 2048));
        assertThat(errorCode(big)).isEqualTo("RESOURCE_LIMIT");
        assertThat(text(big)).contains("at most 1024 MB");
        assertThat(errorCode(call(client, "create_vm", Map.of("name", "big", "template", "web-demo", "cpus", 64))))
                .isEqualTo("RESOURCE_LIMIT");
        assertThat(mcp.manager().vms()).isEmpty();
        assertThat(McpFixtures.audit(home)).anySatisfy(r -> {
            assertThat(r.path("action").asText()).isEqualTo("mcp.create_vm");
            assertThat(r.path("vm").asText()).isEqualTo("big");
            assertThat(r.path("code").asText()).isEqualTo("RESOURCE_LIMIT");
        });
    }

    @Test
    void createVm_templateSharingAHostFolder_isRefusedByDefault_EXE02() throws Exception {
        McpSchema.CallToolResult share = call(client, "create_vm", Map.of("name", "sharer", "template", "shares-host"));
        assertThat(errorCode(share)).isEqualTo("POLICY_VIOLATION");
        assertThat(text(share)).contains("allows no shared folders");
        assertThat(mcp.manager().vms()).isEmpty();
    }

    @Test
    void hostileInput_unknownFieldsControlCharactersHugeArgumentsAndTraversal_areToolErrors() {
        McpSchema.CallToolResult unknown = call(client, "plan_vm", Map.of("name", "a", "template", "web-demo",
                "host_path", "/etc"));
        assertThat(errorCode(unknown)).isEqualTo("INVALID_ARGUMENT");
        assertThat(text(unknown)).contains("unknown argument 'host_path'");

        McpSchema.CallToolResult control = call(client, "plan_vm", Map.of("name", "a\u001b[31m\u202e", "template",
                "web-demo"));
        assertThat(errorCode(control)).isEqualTo("INVALID_ARGUMENT");
        assertThat(text(control)).contains("a\\u001b[31m\\u202e").doesNotContain("\u001b").doesNotContain("\u202e");

        McpSchema.CallToolResult huge = call(client, "exec_in_vm", Map.of("name", "a", "command", "x".repeat(1_000_000)));
        assertThat(errorCode(huge)).isEqualTo("INVALID_ARGUMENT");
        assertThat(text(huge)).contains("longer than 16384");

        for (String path : List.of("/tmp/../etc/shadow", "relative/file", "/tmp/./x", "/tmp//x", "/tmp/a\nb")) {
            McpSchema.CallToolResult r = call(client, "copy_to_vm", Map.of("name", "a", "path", path, "content", "x"));
            assertThat(errorCode(r)).as(path).isEqualTo("INVALID_ARGUMENT");
        }
        assertThat(text(call(client, "copy_from_vm", Map.of("name", "a", "path", "/home/../../etc/passwd"))))
                .contains("path traversal");

        McpSchema.CallToolResult tooBig = call(client, "copy_to_vm", Map.of("name", "a", "path", "/tmp/f",
                "content", "y".repeat(5000)));
        assertThat(errorCode(tooBig)).isIn("INVALID_ARGUMENT", "POLICY_VIOLATION");

        McpSchema.CallToolResult wrongType = call(client, "create_vm", Map.of("name", "a", "template", "web-demo",
                "memory_mb", "lots"));
        assertThat(errorCode(wrongType)).isEqualTo("INVALID_ARGUMENT");

        McpSchema.CallToolResult notOurs = call(client, "vm_status", Map.of("name", "someone-elses"));
        assertThat(errorCode(notOurs)).isEqualTo("VM_NOT_FOUND");
        assertThat(text(notOurs)).contains("this server has no VM named 'someone-elses'");
    }

    @Test
    void httpRequestsFromOtherHostsOrOrigins_andOversizedBodies_areRefused() throws Exception {
        HttpClient h = HttpClient.newHttpClient();
        String init = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"web\",\"version\":\"1\"}}}";
        HttpResponse<String> evil = h.send(HttpRequest.newBuilder(mcp.http().uri()).header("Origin", "http://evil.example")
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(init)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(evil.statusCode()).as("DNS rebinding: a page from another origin").isEqualTo(403);

        // a client that announces its body (Expect: 100-continue) gets the 413 before it sends a byte of it
        String oversized = "[" + "1,".repeat(3_000_000) + "1]";
        HttpResponse<String> huge = h.send(HttpRequest.newBuilder(mcp.http().uri()).expectContinue(true)
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(oversized)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(huge.statusCode()).isEqualTo(413);
        // one that just sends it is refused too: the 413 is written and the connection closed while the client is
        // still sending, so the client may see the 413 or only the closed connection (TCP resets what it had not
        // read); either way the body is never parsed and the server goes on serving
        HttpClient pushy = HttpClient.newHttpClient();
        try {
            HttpResponse<String> r = pushy.send(HttpRequest.newBuilder(mcp.http().uri())
                    .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(oversized)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(413);
        } catch (java.io.IOException closedWhileSending) {
            assertThat(closedWhileSending).hasMessageNotContaining("Connection refused");
        }
        assertThat(client.listTools().tools()).as("the server still serves").isNotEmpty();
    }

    @Test
    void serveHttp_refusesANonLoopbackAddress() {
        assertThatThrownBy(() -> mcp.server().serveHttp(new InetSocketAddress("0.0.0.0", 0)))
                .hasMessageContaining("loopback addresses only");
    }

    @Test
    void resourcesAndPrompts_templatesVmsPolicyAndTwoFlows() {
        assertThat(client.listResourceTemplates().resourceTemplates()).extracting(McpSchema.ResourceTemplate::uriTemplate)
                .containsExactlyInAnyOrder("vboxmcp://templates/{name}/{version}", "vboxmcp://vms/{name}");
        McpSchema.ReadResourceResult t = client.readResource(new McpSchema.ReadResourceRequest(
                "vboxmcp://templates/web-demo/1.0.0"));
        assertThat(((McpSchema.TextResourceContents) t.contents().get(0)).text()).contains("\"min_memory_mb\":256");
        McpSchema.ReadResourceResult p = client.readResource(new McpSchema.ReadResourceRequest("vboxmcp://policy"));
        assertThat(((McpSchema.TextResourceContents) p.contents().get(0)).text()).contains("\"max_vms\":1")
                .contains("\"shared_folders\":false");
        assertThatThrownBy(() -> client.readResource(new McpSchema.ReadResourceRequest("vboxmcp://vms/nobody")))
                .hasMessageContaining("VM_NOT_FOUND");
        assertThatThrownBy(() -> client.readResource(new McpSchema.ReadResourceRequest(
                "vboxmcp://templates/not-allowed/1.0.0"))).hasMessageContaining("POLICY_VIOLATION");

        assertThat(client.listPrompts().prompts()).extracting(McpSchema.Prompt::name)
                .containsExactlyInAnyOrder("dev_vm", "run_untrusted_code");
        McpSchema.GetPromptResult g = client.getPrompt(new McpSchema.GetPromptRequest("dev_vm",
                Map.of("template", "web-demo", "task", "serve a page")));
        assertThat(((McpSchema.TextContent) g.messages().get(0).content()).text()).contains("create_vm")
                .contains("\"web-demo\"").contains("serve a page").contains("destroy_vm");
    }

    @Test
    void readOnlyPolicy_listsOnlyReadOnlyTools_andRefusesTheOthersAudited() throws Exception {
        McpPolicy d = McpPolicy.defaults();
        McpPolicy readOnly = new McpPolicy(d.sources(), d.templates(), d.maxMemoryMb(), d.maxCpus(), d.maxDiskMb(),
                d.totalMemoryMb(), d.totalCpus(), d.totalDiskMb(), d.maxVms(), false, false, null, Set.of(), true, true,
                d.maxExecOutputBytes(), d.maxExecTimeout(), d.maxCopyBytes());
        try (VboxmcpMcpServer ro = VboxmcpMcpServer.builder(mcp.manager()).policy(readOnly).build();
             VboxmcpMcpServer.Http h = ro.serveHttp(new InetSocketAddress("127.0.0.1", 0))) {
            McpSyncClient c = McpFixtures.httpClient(h.uri(), "read-only-agent", x -> { });
            try {
                assertThat(c.listTools().tools()).extracting(McpSchema.Tool::name).containsExactlyInAnyOrder(
                        "search_templates", "describe_template", "plan_vm", "list_vms", "vm_status");
                McpSchema.CallToolResult create = call(c, "create_vm", Map.of("name", "nope", "template", "web-demo"));
                assertThat(errorCode(create)).isEqualTo("POLICY_VIOLATION");
                assertThat(text(create)).contains("'create_vm' is not allowed").contains("read-only");
                assertThat(errorCode(call(c, "exec_in_vm", Map.of("name", "a", "command", "id"))))
                        .isEqualTo("POLICY_VIOLATION");
            } finally {
                c.close();
            }
        }
        assertThat(McpFixtures.audit(home)).anySatisfy(r -> {
            assertThat(r.path("action").asText()).isEqualTo("mcp.create_vm");
            assertThat(r.path("outcome").asText()).isEqualTo("refused");
            assertThat(r.path("client").asText()).isEqualTo("read-only-agent");
        });
    }

    static List<Object> names(Object list) {
        return ((List<?>) list).stream().map(t -> ((Map<?, ?>) t).get("name")).map(Object.class::cast).toList();
    }
}
