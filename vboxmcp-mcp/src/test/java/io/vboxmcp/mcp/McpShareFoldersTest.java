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

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import static io.vboxmcp.mcp.McpFixtures.call;
import static io.vboxmcp.mcp.McpFixtures.errorCode;
import static io.vboxmcp.mcp.McpFixtures.ok;
import static io.vboxmcp.mcp.McpFixtures.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The policy's {@code shared_folders: {root, writable}} through the SDK's client over HTTP, without booting a VM:
 * what plan and describe say a create gets, and every refusal (a writable share the policy does not grant, a link
 * planted where a VM's folder goes) typed, audited and leaving nothing. {@link McpShareVmTest} creates one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class McpShareFoldersTest {
    /** A writable {@code code} and a read-only {@code data}, at host paths the server must ignore (never /etc). */
    static final String TWO_SHARES = """
            shared_folders:
              - name: code
                host_path: /etc
                guest_path: /work
                read_only: false
              - name: data
                host_path: ~/datasets
                guest_path: /data
                read_only: true
            """;

    Path tmp;
    Path home;
    Path root;
    McpFixtures.Served mcp;
    McpSyncClient client;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        tmp = dir;
        home = tmp.resolve("home");
        root = tmp.resolve("shares");
        // the templates name host paths the server must ignore: a create never shares /etc
        VmManager manager = VmManager.builder().home(home).allowSharedFolderRoot(root).build();
        manager.templates().install(McpFixtures.template(tmp, "shares-rw", TWO_SHARES));
        manager.templates().install(McpFixtures.template(tmp, "wants-scratch", """
                shared_folders:
                  - name: scratch
                    host_path: /tmp
                    guest_path: /scratch
                """));
        mcp = McpFixtures.serve(manager, tmp, """
                per_vm: {memory_mb: 1024, cpus: 2, disk_mb: 4096}
                shared_folders: {root: %s, writable: [code]}
                """.formatted(root), "share-agent");
        client = mcp.client();
    }

    @AfterAll
    void stop() {
        mcp.close();
    }

    @Test
    void serverStart_makesTheRootPrivate() throws Exception {
        assertThat(Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root))).isEqualTo("rwx------");
    }

    @Test
    void planAndDescribe_sayWhichSharesACreateGets_andMakeNothing() throws Exception {
        Map<String, Object> p = ok(call(client, "plan_vm", Map.of("name", "planned", "template", "shares-rw")));
        assertThat(p).containsEntry("shared_folders", 2);
        assertThat(shares(p)).containsExactly(
                List.of("code", "/work", true), List.of("data", "/data", false));
        assertThat(p.toString()).as("no host path reaches the agent").doesNotContain(root.toString())
                .doesNotContain("/etc");
        Map<String, Object> d = ok(call(client, "describe_template", Map.of("template", "shares-rw")));
        assertThat(shares(d)).containsExactly(
                List.of("code", "/work", true), List.of("data", "/data", false));
        assertThat(root.resolve("planned")).as("a dry run makes no folder").doesNotExist();
        assertThat(root.resolve("describe-probe")).doesNotExist();
        assertThat(McpFixtures.audit(home)).anySatisfy(r -> {
            assertThat(r.path("action").asText()).isEqualTo("mcp.plan_vm");
            assertThat(r.path("outcome").asText()).isEqualTo("ok");
            assertThat(r.path("shares").asText()).isEqualTo("code:rw,data:ro");
        });
        McpSchema.ReadResourceResult policy = client.readResource(new McpSchema.ReadResourceRequest("vboxmcp://policy"));
        assertThat(((McpSchema.TextResourceContents) policy.contents().get(0)).text())
                .contains("\"writable\":[\"code\"]").doesNotContain(root.toString());
    }

    @Test
    void createVm_writableShareThePolicyDoesNotGrant_isRefusedNamingTheShare_EXE02() throws Exception {
        McpSchema.CallToolResult r = call(client, "create_vm", Map.of("name", "scratcher", "template", "wants-scratch"));
        assertThat(errorCode(r)).isEqualTo("POLICY_VIOLATION");
        assertThat(text(r)).contains("shared folder 'scratch'").contains("asks to be writable")
                .contains("grants writable shares only to code");
        assertThat(errorCode(call(client, "plan_vm", Map.of("name", "scratcher", "template", "wants-scratch"))))
                .isEqualTo("POLICY_VIOLATION");
        assertThat(root.resolve("scratcher")).doesNotExist();
        assertThat(mcp.manager().vms()).isEmpty();
        List<JsonNode> audit = McpFixtures.audit(home);
        assertThat(audit).anySatisfy(a -> {
            assertThat(a.path("action").asText()).isEqualTo("mcp.create_vm");
            assertThat(a.path("outcome").asText()).isEqualTo("refused");
            assertThat(a.path("vm").asText()).isEqualTo("scratcher");
            assertThat(a.path("client").asText()).isEqualTo("share-agent");
        });
    }

    @Test
    void createVm_aLinkWhereTheVmsFolderGoes_isRefusedAndNothingIsWrittenThrough_EXE02() throws Exception {
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(root.resolve("linked"), elsewhere);
        McpSchema.CallToolResult r = call(client, "create_vm", Map.of("name", "linked", "template", "shares-rw"));
        assertThat(errorCode(r)).isEqualTo("POLICY_VIOLATION");
        assertThat(text(r)).contains("is a link or not a folder");
        try (var children = Files.list(elsewhere)) {
            assertThat(children).as("nothing made through the link").isEmpty();
        }
        // the VM's folder is real but its share is a link planted by someone else
        Path vmDir = Files.createDirectory(root.resolve("planted"));
        Files.createSymbolicLink(vmDir.resolve("code"), elsewhere);
        McpSchema.CallToolResult s = call(client, "create_vm", Map.of("name", "planted", "template", "shares-rw"));
        assertThat(errorCode(s)).isEqualTo("POLICY_VIOLATION");
        assertThat(text(s)).contains("shared folder 'code'").contains("is a link or not a folder");
        assertThat(Files.isSymbolicLink(vmDir.resolve("code"))).as("the server never deletes through or over a link")
                .isTrue();
        assertThat(mcp.manager().vms()).isEmpty();
        assertThat(ok(call(client, "list_vms", Map.of()))).containsEntry("creating", List.of());
    }

    @SuppressWarnings("unchecked")
    static List<List<Object>> shares(Map<String, Object> result) {
        return ((List<Map<String, Object>>) result.get("shares")).stream()
                .map(m -> List.of(m.get("name"), m.get("guest_path"), m.get("writable"))).toList();
    }
}
