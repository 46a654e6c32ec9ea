package io.vboxmcp.qemu;

import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.qemu.internal.QemuDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.testkit.StubProviderContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A base image without a kernel that boots only under UEFI: QEMU starts it with OVMF and the guest's own boot
 * loader, and the guest reaches SSH (and mounts a 9p share: q35 with OVMF keeps virtio and 9p working).
 */
@Tag("vm")
class QemuUefiBootTest {
    @TempDir
    Path work;

    @Test
    void uefiOnlyImage_bootsWithOvmfToSsh_andDestroyRemovesItsVariableStore() throws Exception {
        BaseImage image = TestImage.uefiBaseImage();
        SshKeys.SshKeyPair key = SshKeys.generate(Files.createDirectories(work.resolve("keys")), "uefi-test");
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        HypervisorDriver driver = new QemuDriverFactory().create(new StubProviderContext(work.resolve("home"), Map.of()));
        TemplateDefinition t = new TemplateDefinition("uefi-test", SemanticVersion.parse("1.0.0"), null, null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        Path shared = Files.writeString(Files.createDirectories(work.resolve("shared")).resolve("hello.txt"), "from the host");
        PlannedSharedFolder share = new PlannedSharedFolder("data", shared.getParent(), "/mnt/data", true);
        VmPlan plan = new VmPlan("uefi-1", t, "sha256:" + "0".repeat(64), null, "qemu", 512, 1, 512,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of(share));
        Path vmDir = Files.createDirectories(work.resolve("vms").resolve("uefi-1"));
        Machine m = driver.create(new MachineSpec(plan, vmDir, image, key.publicKeyLine(), "root", "iid-uefi-1",
                events::add));
        try {
            assertThat(m.attributes()).containsEntry("firmware", "uefi");
            assertThat(Files.readString(vmDir.resolve("machine.json"))).contains("\"firmware\":\"uefi\"");
            assertThat(vmDir.resolve("efivars.fd")).hasSameBinaryContentAs(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"));

            // started by a second driver instance, as another CLI process would: it reads the firmware from machine.json
            HypervisorDriver other = new QemuDriverFactory().create(new StubProviderContext(work.resolve("home"), Map.of()));
            Machine found = other.find("uefi-1", vmDir).orElseThrow();
            long t0 = System.nanoTime();
            other.start(found);
            assertThat(Files.readString(vmDir.resolve("qemu.log")))
                    .contains("if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd")
                    .contains("if=pflash,format=raw,unit=1,file=" + vmDir.resolve("efivars.fd"))
                    .doesNotContain("-kernel");
            try (SshGuestChannel ch = ssh(other, found, key, work.resolve("pins"), Duration.ofMinutes(4))) {
                System.out.println("UEFI guest reached SSH after " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms");
                ExecResult efi = ch.exec(GuestCommand.of("test -d /sys/firmware/efi && echo uefi")
                        .withTimeout(Duration.ofSeconds(30)));
                assertThat(efi.stdout().trim()).as("the guest kernel was started by UEFI firmware").isEqualTo("uefi");
                ExecResult root = ch.exec(GuestCommand.of("grep -o 'root=[^ ]*' /proc/cmdline")
                        .withTimeout(Duration.ofSeconds(30)));
                assertThat(root.stdout().trim()).as("booted by the disk's own loader").isEqualTo("root=/dev/vda2");
                // 9p on q35 with OVMF, as with SeaBIOS
                ExecResult mount = ch.exec(GuestCommand.of(other.guestMountCommand(found, share)
                        + " && cat /mnt/data/hello.txt").withTimeout(Duration.ofSeconds(30)));
                assertThat(mount.stdout().trim()).as(mount.stderr()).isEqualTo("from the host");
            }
            assertThat(other.state(found)).isEqualTo(VmState.RUNNING);
        } finally {
            driver.destroy(m);
        }
        assertThat(vmDir).doesNotExist();
    }

    static SshGuestChannel ssh(HypervisorDriver driver, Machine m, SshKeys.SshKeyPair key, Path pins, Duration limit)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        VboxmcpException last = null;
        while (System.nanoTime() < deadline) {
            try {
                return SshGuestChannel.connect(m.sshHost(), m.sshPort(), "root", key.keyPair(), pins.resolve(m.name()),
                        Duration.ofSeconds(10));
            } catch (VboxmcpException e) {
                last = e;
                Thread.sleep(500);
            }
        }
        throw new AssertionError("guest " + m.name() + " never answered SSH; console:\n" + driver.consoleTail(m, 30), last);
    }
}
