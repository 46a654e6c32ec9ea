package io.vboxmcp.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.vboxmcp.VmManager;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** Real SDK clients, template folders and the audit log's records, for the tests of this module. */
final class McpFixtures {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    static final Path WEB_DEMO = ROOT.resolve("examples/templates/web-demo");
    private static final ObjectMapper JSON = new ObjectMapper();

    private McpFixtures() {
    }

    /** An initialized SDK client over Streamable HTTP, naming itself {@code clientName}. */
    static McpSyncClient httpClient(URI endpoint, String clientName, Consumer<McpSchema.ProgressNotification> progress) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
                .builder("http://" + endpoint.getHost() + ":" + endpoint.getPort()).endpoint(endpoint.getPath()).build();
        McpSyncClient client = McpClient.sync(transport).clientInfo(new McpSchema.Implementation(clientName, "1.0.0"))
                .requestTimeout(Duration.ofMinutes(5)).progressConsumer(progress).build();
        client.initialize();
        return client;
    }

    /** A server of a manager on 127.0.0.1 over Streamable HTTP, and an SDK client of it; closing ends all four. */
    record Served(VmManager manager, VboxmcpMcpServer server, VboxmcpMcpServer.Http http, McpSyncClient client)
            implements AutoCloseable {
        @Override
        public void close() {
            client.close();
            http.close();
            server.close();
            manager.close();
        }
    }

    /**
     * Serves {@code manager} under the policy {@code policyYaml} (written to {@code dir/policy.yaml}, read as an
     * operator's file is) to a client named {@code clientName}.
     */
    static Served serve(VmManager manager, Path dir, String policyYaml, String clientName) throws Exception {
        Path policy = dir.resolve("policy.yaml");
        Files.writeString(policy, policyYaml);
        VboxmcpMcpServer server = VboxmcpMcpServer.builder(manager).policy(McpPolicy.load(policy)).build();
        VboxmcpMcpServer.Http http = server.serveHttp(new InetSocketAddress("127.0.0.1", 0));
        return new Served(manager, server, http, httpClient(http.uri(), clientName, p -> { }));
    }

    /** A one-version template on the busybox test image, with optional extra YAML. */
    static Path template(Path dir, String name, String extra) throws IOException {
        Path t = dir.resolve(name);
        Files.createDirectories(t);
        Files.writeString(t.resolve("template-definition.yaml"), """
                name: "%s"
                version: "1.0.0"
                description: "test template %s"
                base_image: "vboxmcp-test:1"
                min_ram: 128
                min_cores: 1
                %s
                """.formatted(name, name, extra));
        return t;
    }

    static McpSchema.CallToolResult call(McpSyncClient c, String tool, Map<String, Object> args) {
        return c.callTool(new McpSchema.CallToolRequest(tool, args));
    }

    /** @return the structured content of a successful call */
    @SuppressWarnings("unchecked")
    static Map<String, Object> ok(McpSchema.CallToolResult r) {
        if (Boolean.TRUE.equals(r.isError())) {
            throw new AssertionError("tool error: " + r.content());
        }
        return (Map<String, Object>) r.structuredContent();
    }

    /** @return the error code of a failed call */
    @SuppressWarnings("unchecked")
    static String errorCode(McpSchema.CallToolResult r) {
        if (!Boolean.TRUE.equals(r.isError())) {
            throw new AssertionError("expected a tool error, got " + r.structuredContent());
        }
        String code = String.valueOf(((Map<String, Object>) r.meta().get("io.vboxmcp/error")).get("code"));
        assertThat(text(r)).as("the text starts with the code").startsWith(code + ": ");
        return code;
    }

    static String text(McpSchema.CallToolResult r) {
        return ((McpSchema.TextContent) r.content().get(0)).text();
    }

    /** @return every record of the home's audit log */
    static List<JsonNode> audit(Path home) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Path log = home.resolve("audit.log");
        if (Files.exists(log)) {
            for (String line : Files.readAllLines(log)) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }
}
