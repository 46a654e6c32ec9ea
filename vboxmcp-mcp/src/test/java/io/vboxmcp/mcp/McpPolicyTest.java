package io.vboxmcp.mcp;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The operator's policy file: every key read, every mistake an error that names the key. */
class McpPolicyTest {
    @TempDir
    Path tmp;

    McpPolicy load(String yaml) throws Exception {
        Path f = tmp.resolve("policy.yaml");
        Files.writeString(f, yaml);
        return McpPolicy.load(f);
    }

    @Test
    void load_readsEveryKey() throws Exception {
        McpPolicy p = load("""
                sources: [local, company]
                templates: [web-demo, "python-dev@^1.2"]
                per_vm: {memory_mb: 2048, cpus: 2, disk_mb: 10000}
                total: {memory_mb: 4096, cpus: 4, disk_mb: 30000}
                max_vms: 3
                shared_folders: true
                network: restricted
                idle_destroy: 30m
                tools: [search_templates, plan_vm, create_vm]
                read_only: false
                destroy_on_shutdown: false
                exec: {max_output_bytes: 8192, max_timeout: 90s}
                copy: {max_bytes: 1024}
                """);
        assertThat(p.sources()).containsExactly("local", "company");
        assertThat(p.templates()).containsExactly("web-demo", "python-dev@^1.2");
        assertThat(p.maxMemoryMb()).isEqualTo(2048);
        assertThat(p.totalDiskMb()).isEqualTo(30000);
        assertThat(p.maxVms()).isEqualTo(3);
        assertThat(p.allowSharedFolders()).isTrue();
        assertThat(p.restrictNetwork()).isTrue();
        assertThat(p.idleDestroy()).isEqualTo(Duration.ofMinutes(30));
        assertThat(p.tools()).isEqualTo(Set.of("search_templates", "plan_vm", "create_vm"));
        assertThat(p.allowsTool("create_vm")).isTrue();
        assertThat(p.allowsTool("exec_in_vm")).as("not in the allow-list").isFalse();
        assertThat(p.destroyOnShutdown()).isFalse();
        assertThat(p.maxExecTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(p.maxCopyBytes()).isEqualTo(1024);
    }

    @Test
    void load_emptyFileIsTheDefaults_whichAllowNoSharedFoldersAndDestroyOnShutdown() throws Exception {
        McpPolicy p = load("");
        assertThat(p).isEqualTo(McpPolicy.defaults());
        assertThat(p.allowSharedFolders()).isFalse();
        assertThat(p.destroyOnShutdown()).isTrue();
        assertThat(McpPolicy.ALL_TOOLS).allMatch(p::allowsTool);
    }

    @Test
    void readOnly_leavesOnlyTheToolsThatChangeNothing() throws Exception {
        McpPolicy p = load("read_only: true\n");
        assertThat(McpPolicy.ALL_TOOLS.stream().filter(p::allowsTool))
                .containsExactlyInAnyOrderElementsOf(McpPolicy.READ_ONLY_TOOLS);
    }

    @Test
    void load_mistakes_nameTheKey() {
        assertBad("max_vm: 2\n", "'max_vm' is not a policy key");
        assertBad("per_vm: {memory: 2}\n", "per_vm.'memory' is not a policy key");
        assertBad("per_vm: {cpus: 0}\n", "per_vm.cpus must be a positive whole number");
        assertBad("max_vms: many\n", "max_vms must be a non-negative whole number");
        assertBad("shared_folders: \"true\"\n", "shared_folders must be true, false or a mapping");
        assertBad("network: none\n", "network must be 'open' or 'restricted'");
        assertBad("idle_destroy: 10 minutes\n", "idle_destroy must be a duration");
        assertBad("tools: [rm_rf]\n", "unknown tool 'rm_rf'");
        assertBad("templates: [\"Bad Name\"]\n", "templates: 'Bad Name'");
        assertBad("copy: {max_bytes: 100000000}\n", "copy.max_bytes must be at most");
        assertBad("templates: web-demo\n", "templates must be a list");
    }

    @Test
    void load_sharedFoldersMapping_readsTheRootAndTheWritableShares_andTheBooleanFormStillWorks() throws Exception {
        Path root = tmp.resolve("shares");
        McpPolicy p = load("shared_folders: {root: " + root + ", writable: [code, scratch_2]}\n");
        assertThat(p.allowSharedFolders()).isTrue();
        assertThat(p.shareRoot()).isEqualTo(root);
        assertThat(p.writableShares()).containsExactlyInAnyOrder("code", "scratch_2");
        assertThat(root).as("reading the policy makes nothing; the server makes the root at start").doesNotExist();
        McpPolicy readOnlyShares = load("shared_folders: {root: " + root + "}\n");
        assertThat(readOnlyShares.writableShares()).isEmpty();
        McpPolicy old = load("shared_folders: true\n");
        assertThat(old.allowSharedFolders()).isTrue();
        assertThat(old.shareRoot()).as("0.2.0 form: the template's own paths under the manager's roots").isNull();
        assertThat(McpPolicy.defaults().shareRoot()).isNull();
        assertThat(McpPolicy.defaults().writableShares()).isEmpty();
    }

    @Test
    void load_hostileShareRoots_areRefusedNamingTheKey_EXE02() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        Files.writeString(tmp.resolve("a-file"), "x");
        assertBad("shared_folders: {root: relative/shares}\n", "shared_folders.root 'relative/shares' must be an absolute");
        assertBad("shared_folders: {root: " + real + "/../etc}\n", "must be an absolute folder below / without '.' or '..'");
        assertBad("shared_folders: {root: /}\n", "shared_folders.root '/' must be an absolute folder below /");
        assertBad("shared_folders: {root: " + link + "}\n", "is a symbolic link");
        assertBad("shared_folders: {root: " + link + "/shares}\n", "passes through a symbolic link");
        assertBad("shared_folders: {root: " + tmp.resolve("a-file") + "}\n", "is not a folder");
        assertBad("shared_folders: {writable: [code]}\n", "shared_folders.root must name the host folder");
        assertBad("shared_folders: {root: 42}\n", "shared_folders.root must name the host folder");
        assertBad("shared_folders: {root: " + real + ", host_path: /etc}\n", "shared_folders.'host_path' is not a policy key");
        assertBad("shared_folders: [code]\n", "shared_folders must be true, false or a mapping");
    }

    @Test
    void load_writableShareNamesWithSeparatorsOrDots_areRefused_EXE02() {
        Path root = tmp.resolve("shares");
        assertBad("shared_folders: {root: " + root + ", writable: [\"..\"]}\n", "shared_folders.writable: '..' is not a share name");
        assertBad("shared_folders: {root: " + root + ", writable: [\"a/b\"]}\n", "'a/b' is not a share name");
        assertBad("shared_folders: {root: " + root + ", writable: [\".hidden\"]}\n", "is not a share name");
        assertBad("shared_folders: {root: " + root + ", writable: code}\n", "shared_folders.writable must be a list");
    }

    @Test
    void constructor_writableSharesWithoutARoot_isRefused() {
        McpPolicy d = McpPolicy.defaults();
        assertThatThrownBy(() -> new McpPolicy(d.sources(), d.templates(), 1, 1, 1, 1, 1, 1, 1, true, false, null,
                Set.of(), false, true, 1, Duration.ofMinutes(1), 1, null, Set.of("code")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("writableShares need a shareRoot");
        assertThatThrownBy(() -> new McpPolicy(d.sources(), d.templates(), 1, 1, 1, 1, 1, 1, 1, false, false, null,
                Set.of(), false, true, 1, Duration.ofMinutes(1), 1, Path.of("/srv/shares"), Set.of()))
                .as("a root without allowSharedFolders").isInstanceOf(IllegalArgumentException.class);
    }

    private void assertBad(String yaml, String message) {
        assertThatThrownBy(() -> load(yaml)).isInstanceOf(VboxmcpException.class).hasMessageContaining(message)
                .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
}
