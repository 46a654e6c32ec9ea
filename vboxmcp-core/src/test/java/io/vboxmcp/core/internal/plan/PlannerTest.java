package io.vboxmcp.core.internal.plan;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.PortForward;
import io.vboxmcp.ResourceLimitException;
import io.vboxmcp.ResourcePolicy;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.template.SharedFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlannerTest {
    private static final Planner.HostCapacity HOST = new Planner.HostCapacity(16_384, 8, 500_000);

    @TempDir
    Path tmp;

    private static CreateVmRequest.Builder req() throws VboxmcpException {
        return CreateVmRequest.builder("vm1", TemplateRef.parse("python-dev@1.0.0"));
    }

    private static Planner planner(ResourcePolicy p, List<Path> roots) {
        return new Planner(p, HOST, roots);
    }

    @Test
    void plan_usesParametersOverTemplateMinimums() throws Exception {
        VmPlan plan = planner(ResourcePolicy.hostLimits(), List.of()).plan(req().memoryMb(4096).cpus(4).diskSizeMb(50_000).build(),
                Templates.withMinimums(2048, 20_000, 2), "sha256:x", null, "qemu");
        assertThat(plan.memoryMb()).isEqualTo(4096);
        assertThat(plan.cpus()).isEqualTo(4);
        assertThat(plan.diskMb()).isEqualTo(50_000);
        assertThat(plan.ports()).extracting(PortForward::guestPort).containsExactly(22, 8000, 8080);
        assertThat(plan.ports()).allSatisfy(p -> assertThat(p.hostAddress()).isEqualTo("127.0.0.1"));
    }

    @Test
    void plan_fallsBackToTemplateMinimumsThenPolicyDefaults_RES02() throws Exception {
        VmPlan withMins = planner(ResourcePolicy.hostLimits(), List.of()).plan(req().build(),
                Templates.withMinimums(2048, 20_000, 2), "sha256:x", null, "qemu");
        assertThat(List.of(withMins.memoryMb(), withMins.cpus(), withMins.diskMb())).containsExactly(2048, 2, 20_000);
        VmPlan noMins = planner(ResourcePolicy.hostLimits(), List.of()).plan(req().build(),
                Templates.withMinimums(0, 0, 0), "sha256:x", null, "qemu");
        ResourcePolicy d = ResourcePolicy.hostLimits();
        assertThat(List.of(noMins.memoryMb(), noMins.cpus(), noMins.diskMb()))
                .containsExactly(d.defaultMemoryMb(), d.defaultCpus(), d.defaultDiskMb());
    }

    @Test
    void plan_refusesBelowTemplateMinimumNamingFieldAndBothNumbers() {
        assertThatThrownBy(() -> planner(ResourcePolicy.hostLimits(), List.of()).plan(req().memoryMb(1024).build(),
                Templates.withMinimums(2048, 0, 0), "sha256:x", null, "qemu"))
                .isInstanceOf(ResourceLimitException.class)
                .hasMessageContaining("memory 1024 MB")
                .hasMessageContaining("min_ram of 2048 MB");
    }

    @Test
    void plan_refusesHugeRequestsBeforeCreatingAnything_RES01() {
        Planner p = planner(ResourcePolicy.hostLimits(), List.of());
        assertThatThrownBy(() -> p.plan(req().cpus(64).build(), Templates.withMinimums(0, 0, 0), "sha256:x", null, "qemu"))
                .isInstanceOf(ResourceLimitException.class).hasMessageContaining("cpus 64").hasMessageContaining("8");
        assertThatThrownBy(() -> p.plan(req().memoryMb(512 * 1024).build(), Templates.withMinimums(0, 0, 0), "sha256:x",
                null, "qemu")).isInstanceOf(ResourceLimitException.class).hasMessageContaining("what this host has");
        assertThatThrownBy(() -> p.plan(req().diskSizeMb(10_000_000).build(), Templates.withMinimums(0, 0, 0),
                "sha256:x", null, "qemu")).isInstanceOf(ResourceLimitException.class);
    }

    @Test
    void plan_refusesTemplateMinimumAbovePolicyMaximum() {
        Planner p = planner(ResourcePolicy.hostLimits().withMaxMemoryMb(1024), List.of());
        assertThatThrownBy(() -> p.plan(req().build(), Templates.withMinimums(2048, 0, 0), "sha256:x", null, "qemu"))
                .isInstanceOf(ResourceLimitException.class)
                .hasMessageContaining("the template's min_ram")
                .hasMessageContaining("resource policy's maximum of 1024 MB");
    }

    @Test
    void plan_refusesSharedFolderOutsideAllowList_EXE02() throws Exception {
        Path allowed = Files.createDirectories(tmp.resolve("allowed"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        SharedFolder f = new SharedFolder("code", outside.toString(), "/home/developer/code", false);
        assertThatThrownBy(() -> planner(ResourcePolicy.hostLimits(), List.of(allowed)).plan(
                req().allowWritableShare("code").build(), Templates.withShare(f), "sha256:x", null, "qemu"))
                .isInstanceOf(VboxmcpException.class)
                .hasMessageContaining("outside")
                .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.POLICY_VIOLATION));
    }

    @Test
    void plan_refusesWritableShareUnlessTheCallerOptsIn_EXE02() throws Exception {
        Path allowed = Files.createDirectories(tmp.resolve("allowed/project"));
        SharedFolder f = new SharedFolder("code", allowed.toString(), "/home/developer/code", false);
        Planner p = planner(ResourcePolicy.hostLimits(), List.of(tmp.resolve("allowed")));
        assertThatThrownBy(() -> p.plan(req().build(), Templates.withShare(f), "sha256:x", null, "qemu"))
                .isInstanceOfSatisfying(VboxmcpException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.POLICY_VIOLATION))
                .hasMessageContaining("asks to be writable").hasMessageContaining("allowWritableShare(\"code\")");
        VmPlan plan = p.plan(req().allowWritableShare("code").build(), Templates.withShare(f), "sha256:x", null, "qemu");
        assertThat(plan.sharedFolders()).singleElement().satisfies(s -> assertThat(s.readOnly()).isFalse());
        // a read-only share needs no opt-in, and an opt-in for a share the template lacks is a mistake
        SharedFolder ro = new SharedFolder("code", allowed.toString(), "/home/developer/code", true);
        assertThat(p.plan(req().build(), Templates.withShare(ro), "sha256:x", null, "qemu").sharedFolders()).hasSize(1);
        assertThatThrownBy(() -> p.plan(req().allowWritableShare("nope").build(), Templates.withShare(ro), "sha256:x",
                null, "qemu")).hasMessageContaining("'nope'");
    }

    @Test
    void plan_refusesSymlinkEscapingTheAllowList_EXE02() throws Exception {
        Path allowed = Files.createDirectories(tmp.resolve("allowed"));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path link = Files.createSymbolicLink(allowed.resolve("link"), outside);
        SharedFolder f = new SharedFolder("code", link.toString(), "/code", true);
        assertThatThrownBy(() -> planner(ResourcePolicy.hostLimits(), List.of(allowed)).plan(req().build(),
                Templates.withShare(f), "sha256:x", null, "qemu"))
                .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.POLICY_VIOLATION));
    }

    @Test
    void plan_acceptsRequestHostPathOverrideInsideAllowList() throws Exception {
        Path allowed = Files.createDirectories(tmp.resolve("allowed/project"));
        SharedFolder f = new SharedFolder("code", "~/projects", "/home/developer/code", true);
        VmPlan plan = planner(ResourcePolicy.hostLimits(), List.of(tmp.resolve("allowed")))
                .plan(req().hostPath("code", allowed.toString()).build(), Templates.withShare(f), "sha256:x", null, "qemu");
        assertThat(plan.sharedFolders()).singleElement().satisfies(s -> {
            assertThat(s.hostPath()).isEqualTo(allowed.toRealPath());
            assertThat(s.readOnly()).isTrue();
            assertThat(s.guestPath()).isEqualTo("/home/developer/code");
        });
    }

    @Test
    void plan_refusesOverrideForUnknownShare() {
        assertThatThrownBy(() -> planner(ResourcePolicy.hostLimits(), List.of(tmp)).plan(
                req().hostPath("nope", tmp.toString()).build(), Templates.withMinimums(0, 0, 0), "sha256:x", null, "qemu"))
                .hasMessageContaining("'nope'");
    }

    @Test
    void fromParameters_rejectsUnknownOrMistypedParameters() throws Exception {
        TemplateRef ref = TemplateRef.parse("python-dev@1.0.0");
        assertThatThrownBy(() -> CreateVmRequest.fromParameters("vm", ref, Map.of("memroy", 1)))
                .hasMessageContaining("unknown parameter 'memroy'");
        assertThatThrownBy(() -> CreateVmRequest.fromParameters("vm", ref, Map.of("cpus", "two")))
                .hasMessageContaining("'cpus' must be a positive whole number");
        CreateVmRequest r = CreateVmRequest.fromParameters("vm", ref, Map.of("memory", 4096, "cpus", 4, "disk_size", 50000));
        assertThat(List.of(r.memoryMb(), r.cpus(), r.diskSizeMb())).containsExactly(4096, 4, 50000);
    }

    @Test
    void fromParameters_allowWrite_grantsExactlyTheNamedShares() throws Exception {
        TemplateRef ref = TemplateRef.parse("python-dev@1.0.0");
        assertThat(CreateVmRequest.fromParameters("vm", ref, Map.of("allow_write", "code")).writableShares())
                .containsExactly("code");
        assertThat(CreateVmRequest.fromParameters("vm", ref, Map.of("allow_write", "code, data")).writableShares())
                .containsExactlyInAnyOrder("code", "data");
        assertThat(CreateVmRequest.fromParameters("vm", ref, Map.of("allow_write", List.of("code"))).writableShares())
                .containsExactly("code");
        assertThat(CreateVmRequest.fromParameters("vm", ref, Map.of("memory", 512)).writableShares()).isEmpty();
        assertThatThrownBy(() -> CreateVmRequest.fromParameters("vm", ref, Map.of("allow_write", ",")))
                .hasMessageContaining("'allow_write' must name shared folders");
    }
}
