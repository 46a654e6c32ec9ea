package io.vboxmcp.mcp;

import io.modelcontextprotocol.client.McpSyncClient;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.UUID;

import static io.vboxmcp.mcp.McpFixtures.call;
import static io.vboxmcp.mcp.McpFixtures.ok;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One busybox VM ({@code vboxmcp-test:1}) whose template shares two folders, created through the SDK's client
 * under a policy with {@code shared_folders: {root, writable: [code]}}: the guest's writes into {@code code} reach
 * {@code <root>/<vm>/code} on the host (not the {@code /etc} the template names), {@code data} is read-only, and at
 * destroy the folder the guest wrote into stays while the empty one goes.
 */
@Tag("vm")
class McpShareVmTest {
    @TempDir
    Path tmp;

    @Test
    void createVm_sharesUnderThePolicyRoot_writableOnlyWhereGranted_keptAtDestroyIfWritten() throws Exception {
        Path home = tmp.resolve("home");
        Path root = tmp.resolve("shares");
        Path policy = tmp.resolve("policy.yaml");
        Files.writeString(policy, """
                templates: [share-demo]
                per_vm: {memory_mb: 1024, cpus: 1, disk_mb: 2048}
                shared_folders: {root: %s, writable: [code]}
                """.formatted(root));
        try (VmManager manager = VmManager.builder().home(home).allowSharedFolderRoot(root)
                .property(CoreKeys.IMAGE_CATALOG, McpVmTest.testImageCatalog().toUri().toString()).build();
             VboxmcpMcpServer server = VboxmcpMcpServer.builder(manager).policy(McpPolicy.load(policy)).build();
             VboxmcpMcpServer.Http http = server.serveHttp(new InetSocketAddress("127.0.0.1", 0))) {
            manager.templates().install(McpFixtures.template(tmp, "share-demo", McpShareFoldersTest.TWO_SHARES));
            McpSyncClient client = McpFixtures.httpClient(http.uri(), "share-vm-agent", p -> { });
            try {
                ok(call(client, "create_vm", Map.of("name", "sharer", "template", "share-demo")));
                Path code = root.resolve("sharer").resolve("code");
                Path data = root.resolve("sharer").resolve("data");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("sharer"))))
                        .isEqualTo("rwx------");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(code))).isEqualTo("rwxr-x---");

                String token = "from-guest-" + UUID.randomUUID();
                Map<String, Object> w = ok(call(client, "exec_in_vm", Map.of("name", "sharer",
                        "command", "echo " + token + " > /work/out.txt")));
                assertThat(w).as(String.valueOf(w)).containsEntry("exit_code", 0);
                assertThat(code.resolve("out.txt")).hasContent(token);
                assertThat(Path.of("/etc/out.txt")).as("the template's host path is ignored").doesNotExist();

                Files.writeString(data.resolve("in.txt"), "operator data");
                assertThat(ok(call(client, "exec_in_vm", Map.of("name", "sharer", "command", "cat /data/in.txt"))))
                        .containsEntry("stdout", "operator data");
                Map<String, Object> ro = ok(call(client, "exec_in_vm", Map.of("name", "sharer",
                        "command", "echo x > /data/new.txt")));
                assertThat((int) ro.get("exit_code")).as("the read-only share refuses writes").isNotZero();
                assertThat(data.resolve("new.txt")).doesNotExist();
                Files.delete(data.resolve("in.txt"));

                assertThat(ok(call(client, "destroy_vm", Map.of("name", "sharer")))).containsEntry("destroyed", true);
                assertThat(code.resolve("out.txt")).as("what the guest wrote stays").hasContent(token);
                assertThat(data).as("the share left empty is removed").doesNotExist();
                assertThat(McpFixtures.audit(home)).anySatisfy(r -> {
                    assertThat(r.path("action").asText()).isEqualTo("mcp.create_vm");
                    assertThat(r.path("outcome").asText()).isEqualTo("ok");
                    assertThat(r.path("shares").asText()).isEqualTo("code:rw,data:ro");
                });
            } finally {
                client.close();
            }
        }
    }
}
