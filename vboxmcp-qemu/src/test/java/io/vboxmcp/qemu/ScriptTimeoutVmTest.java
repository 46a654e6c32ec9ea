package io.vboxmcp.qemu;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * EXE-03 in a real guest (busybox test image under QEMU): a provisioning script that outlives its timeout is killed
 * with everything it started, not just the shell the timeout watched.
 */
@Tag("vm")
class ScriptTimeoutVmTest {
    @TempDir
    Path tmp;

    @Test
    void script_overItsTimeout_isKilledWithItsChildrenInTheGuest_EXE03() throws Exception {
        Path home = tmp.resolve("home");
        Path dir = Files.createDirectories(home.resolve("templates/slow/1.0.0"));
        // a foreground child, a background child and a grandchild in a subshell: all must be gone afterwards
        Files.writeString(dir.resolve("template-definition.yaml"), """
                name: "slow"
                version: "1.0.0"
                base_image: "vboxmcp-test:1"
                min_ram: 256
                min_disk: 256
                min_cores: 1
                scripts:
                  - name: Outlives its timeout
                    command: "sleep 6011 & (sleep 6012; true) & sleep 6013; echo never > /tmp/exe03-finished"
                    timeout: 3s
                """);
        try (VmManager m = VmManager.builder().home(home).defaultDriver("qemu")
                .property(CoreKeys.IMAGE_CATALOG, TestImage.catalog().toUri().toString())
                .property(CoreKeys.READY_TIMEOUT, "300")
                .build()) {
            CreateVmRequest r = CreateVmRequest.builder("exe03", TemplateRef.parse("slow@1.0.0")).keepOnFailure(true).build();
            VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> m.createFromTemplate(r));
            assertThat(e).as("the script's timeout fails the create").isNotNull();
            assertThat(e.code()).isIn(ErrorCode.PROVISIONING, ErrorCode.TIMEOUT);
            assertThat(e.step()).contains("provision");
            Vm vm = m.vm("exe03").orElseThrow();
            try {
                ExecResult ps = vm.exec("ps -o pid,args 2>/dev/null || ps");
                assertThat(ps.exitCode()).isZero();
                assertThat(ps.stdout()).as("the guest's process list").contains("ps")
                        .doesNotContain("sleep 6011").doesNotContain("sleep 6012").doesNotContain("sleep 6013");
                assertThat(vm.exec("test -e /tmp/exe03-finished").exitCode()).as("the script never got further")
                        .isNotZero();
            } finally {
                vm.destroy();
            }
        }
    }
}
