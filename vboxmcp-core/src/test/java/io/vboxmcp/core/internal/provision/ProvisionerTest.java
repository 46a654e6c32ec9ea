package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VmPlan;
import io.vboxmcp.template.Script;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProvisionerTest {
    private static VmPlan plan(Map<String, List<String>> packages, List<Script> scripts, Map<String, String> env,
                               List<PlannedSharedFolder> shares) {
        TemplateDefinition t = new TemplateDefinition("t", SemanticVersion.of(1, 0, 0), null, null, "img", 0, 0, 0, packages,
                scripts, env, List.of(), List.of(), TemplateMetadata.EMPTY, Map.of());
        return new VmPlan("vm", t, "sha256:x", null, "qemu", 512, 1, 1024, List.of(new PortForward(22, 0, null)), shares);
    }

    private static ExecResult ok(String out) {
        return new ExecResult(0, out, "", false, false);
    }

    @Test
    void provision_runsEnvironmentSharesPackagesThenScriptsInOrder() throws Exception {
        Map<String, List<String>> pk = new LinkedHashMap<>();
        pk.put("system", List.of("git", "curl"));
        pk.put("python", List.of("requests"));
        RecordingGuestChannel g = new RecordingGuestChannel(c -> c.command().startsWith("for m in") ? ok("apt-get\n") : ok(""));
        List<Script> scripts = List.of(new Script("first", "echo 1", "/srv/app", "developer", Duration.ofSeconds(5)),
                new Script("second", "echo 2", null, null, null));
        new Provisioner(g, e -> { }, "vm", Duration.ofMinutes(10)).provision(plan(pk, scripts, Map.of("A", "1"),
                List.of(new PlannedSharedFolder("code", Path.of("/h"), "/mnt/code", true))), f -> "mount-it " + f.name());
        List<String> cmds = g.commands.stream().map(c -> c.command()).toList();
        assertThat(g.uploads).containsKey("/etc/profile.d/vboxmcp.sh");
        assertThat(new String(g.uploads.get("/etc/profile.d/vboxmcp.sh"))).contains("export A='1'");
        int mount = indexOf(cmds, "mount-it code");
        int apt = indexOf(cmds, "apt-get install -y -q 'git' 'curl'");
        int pip = indexOf(cmds, "python3 -m pip install 'requests'");
        int first = indexOf(cmds, "echo 1");
        int second = indexOf(cmds, "echo 2");
        assertThat(List.of(mount, apt, pip, first, second)).as("order of provisioning").isSorted().doesNotContain(-1);
        var firstCmd = g.commands.get(first);
        assertThat(firstCmd.user()).isEqualTo("developer");
        assertThat(firstCmd.workingDir()).isEqualTo("/srv/app");
        assertThat(firstCmd.environment()).containsEntry("A", "1");
        assertThat(firstCmd.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(g.commands.get(second).timeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(cmds).anyMatch(c -> c.contains("id -u developer"));
    }

    private static int indexOf(List<String> cmds, String needle) {
        for (int i = 0; i < cmds.size(); i++) {
            if (cmds.get(i).contains(needle)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void provision_stopsAtFailingScriptAndNamesIt_EXE05() {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> c.command().equals("false-ish")
                ? new ExecResult(7, "line1\nline2\n", "oops\n", false, false) : ok(""));
        List<Script> scripts = List.of(new Script("breaks", "false-ish", null, null, null),
                new Script("never", "echo never", null, null, null));
        assertThatThrownBy(() -> new Provisioner(g, e -> { }, "vm", Duration.ofMinutes(1))
                .provision(plan(Map.of(), scripts, Map.of(), List.of()), f -> ""))
                .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                    assertThat(e.item()).isEqualTo("breaks");
                    assertThat(e.exitCode()).isEqualTo(7);
                    assertThat(e.lastOutput()).containsExactly("line1", "line2", "oops");
                    assertThat(e.getMessage()).contains("'breaks' exited with 7").contains("oops");
                });
        assertThat(g.commands).noneMatch(c -> c.command().contains("never"));
    }

    @Test
    void provision_reportsTimeoutAsTimeout_EXE03() {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> new ExecResult(-1, "", "", false, true));
        assertThatThrownBy(() -> new Provisioner(g, e -> { }, "vm", Duration.ofMinutes(1))
                .provision(plan(Map.of(), List.of(new Script("slow", "sleep 99", null, null, Duration.ofSeconds(2))),
                        Map.of(), List.of()), f -> ""))
                .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
                    assertThat(e.getMessage()).contains("timeout of 2 s");
                });
    }

    @Test
    void provision_refusesUnknownPackageManagerAndOddPackageNames() {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> ok("apt-get"));
        assertThatThrownBy(() -> new Provisioner(g, e -> { }, "vm", Duration.ofMinutes(1))
                .provision(plan(Map.of("cargo", List.of("ripgrep")), List.of(), Map.of(), List.of()), f -> ""))
                .hasMessageContaining("no installer for package manager 'cargo'");
        assertThatThrownBy(() -> new Provisioner(g, e -> { }, "vm", Duration.ofMinutes(1))
                .provision(plan(Map.of("system", List.of("git; rm -rf /")), List.of(), Map.of(), List.of()), f -> ""))
                .hasMessageContaining("refusing package name");
    }

    @Test
    void provision_failsClearlyWithoutAPackageManager() {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> new ExecResult(3, "", "", false, false));
        assertThatThrownBy(() -> new Provisioner(g, e -> { }, "vm", Duration.ofMinutes(1))
                .provision(plan(Map.of("system", List.of("git")), List.of(), Map.of(), List.of()), f -> ""))
                .hasMessageContaining("no known package manager");
    }
}
