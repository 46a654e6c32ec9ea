package io.vboxmcp.qemu.internal;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.Firmware;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class QemuDriverUnitTest {
    @TempDir
    Path dir;

    @Test
    void mountTag_keepsSimpleNamesAndShortensOthersWithoutCollisions() {
        assertThat(QemuDriver.mountTag("data")).isEqualTo("data");
        String a = QemuDriver.mountTag("my share/with odd chars");
        String b = QemuDriver.mountTag("my share/with odd chars!");
        assertThat(a).matches("[A-Za-z0-9_-]{1,31}");
        assertThat(a).isNotEqualTo(b);
        assertThat(QemuDriver.mountTag("x".repeat(80))).hasSizeLessThanOrEqualTo(31);
    }

    @Test
    void guestMountCommand_mountsReadOnlySharesReadOnly() throws Exception {
        QemuDriver d = driver(new StubProviderContext(dir, Map.of()));
        Machine m = new Machine("vm", "qemu", dir, "127.0.0.1", 2222, Map.of(), Map.of());
        String ro = d.guestMountCommand(m, new PlannedSharedFolder("src", dir, "/mnt/it's here", true));
        String rw = d.guestMountCommand(m, new PlannedSharedFolder("src", dir, "/mnt/src", false));
        assertThat(ro).contains("mount -t 9p").contains(",ro src ").contains("'/mnt/it'\\''s here'");
        assertThat(rw).doesNotContain(",ro");
    }

    @Test
    void settings_rejectUnknownAccel() {
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() ->
                QemuSettings.from(new StubProviderContext(dir, Map.of("qemu.accel", "warp")))))
                .hasMessageContaining("auto, kvm or tcg");
    }

    @Test
    void qmpSocket_staysShortForDeepVmFolders() throws Exception {
        QemuDriver d = driver(new StubProviderContext(dir, Map.of()));
        Path deep = dir.resolve("a".repeat(60)).resolve("b".repeat(60));
        assertThat(d.qmpSocket(deep).toString().length()).isLessThanOrEqualTo(100);
        assertThat(d.qmpSocket(Path.of("/tmp/vm1"))).isEqualTo(Path.of("/tmp/vm1/qmp.sock"));
    }

    private MachineSpec spec(BaseImage image) throws Exception {
        TemplateDefinition t = new TemplateDefinition("fw", SemanticVersion.parse("1.0.0"), null, null, image.reference(),
                0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY, Map.of());
        VmPlan plan = new VmPlan("fw-1", t, "sha256:" + "0".repeat(64), null, "qemu", 256, 1, 64,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of());
        return new MachineSpec(plan, dir.resolve("vms").resolve("fw-1"), image, "ssh-ed25519 AAAA k", "root", "iid-1",
                ProgressListener.NONE);
    }

    private BaseImage diskOnly(Firmware firmware) throws Exception {
        Path disk = Files.write(dir.resolve("disk.qcow2"), new byte[] {1});
        return new BaseImage("cloud:1", disk, "qcow2", "sha256:" + "1".repeat(64), null, null, null, firmware);
    }

    @Test
    void create_uefiImageWithoutOvmf_isTypedErrorNamingThePackageAndLeavesNothing() throws Exception {
        QemuDriver d = driver(new StubProviderContext(dir, Map.of(
                "qemu.ovmf.code", dir.resolve("missing/OVMF_CODE_4M.fd").toString())));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> d.create(spec(diskOnly(Firmware.UEFI))));

        assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
        assertThat(e.getMessage()).contains("'ovmf'").contains("qemu.ovmf.code").contains("missing/OVMF_CODE_4M.fd");
        assertThat(dir.resolve("vms").resolve("fw-1")).doesNotExist();
    }

    @Test
    void create_uefiOnlyImageWithFirmwareForcedToBios_isRefused() throws Exception {
        QemuDriver d = driver(new StubProviderContext(dir, Map.of("qemu.firmware", "bios")));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> d.create(spec(diskOnly(Firmware.UEFI))));

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("boots only with UEFI").contains("qemu.firmware=bios");
        assertThat(dir.resolve("vms").resolve("fw-1")).doesNotExist();
    }

    @Test
    void settings_rejectAProbeKernelThatIsNotAReadableFile() {
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> QemuSettings.from(
                new StubProviderContext(dir, Map.of("qemu.kvm.probe-kernel", dir.resolve("no-vmlinuz").toString()))));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("qemu.kvm.probe-kernel").contains("no-vmlinuz");
    }

    @Test
    void settings_rejectUnknownFirmware() {
        assertThat(catchThrowableOfType(VboxmcpException.class, () ->
                QemuSettings.from(new StubProviderContext(dir, Map.of("qemu.firmware", "coreboot")))))
                .hasMessageContaining("auto, bios or uefi");
    }

    @Test
    void firmwareChoice_followsTheImageUnlessItHasItsOwnKernelOrTheSettingForcesUefi() throws Exception {
        QemuSettings auto = QemuSettings.from(new StubProviderContext(dir, Map.of()));
        QemuSettings uefi = QemuSettings.from(new StubProviderContext(dir, Map.of("qemu.firmware", "uefi")));
        Path kernel = Files.writeString(dir.resolve("vmlinuz"), "k");
        BaseImage direct = new BaseImage("t:1", dir.resolve("disk.qcow2"), "qcow2", "sha256:" + "1".repeat(64), kernel,
                null, null, Firmware.UEFI);

        assertThat(BootFirmware.choose(auto, diskOnly(Firmware.UEFI))).isEqualTo("uefi");
        assertThat(BootFirmware.choose(auto, diskOnly(Firmware.ANY))).isEqualTo("bios");
        assertThat(BootFirmware.choose(auto, diskOnly(Firmware.BIOS))).isEqualTo("bios");
        assertThat(BootFirmware.choose(uefi, diskOnly(Firmware.ANY))).isEqualTo("uefi");
        assertThat(BootFirmware.choose(uefi, direct)).as("direct kernel boot needs no firmware loader").isEqualTo("bios");
    }

    @Test
    void commandLine_machineWrittenBeforeFirmwareExisted_bootsWithSeaBios() throws Exception {
        QemuDriver d = driver(new StubProviderContext(dir, Map.of()));
        Map<String, Object> json = new java.util.LinkedHashMap<>(Map.of("name", "old", "memoryMb", 256, "cpus", 1,
                "ports", List.of(), "shares", List.of(), "qmpSocket", dir.resolve("q.sock").toString()));

        assertThat(d.commandLine(json, dir, "tcg")).noneMatch(a -> a.contains("pflash"));

        json.put("firmware", "uefi");
        json.put("ovmfCode", QemuSettings.DEFAULT_OVMF_CODE);
        Files.copy(Path.of(QemuSettings.DEFAULT_OVMF_VARS), dir.resolve("efivars.fd"));
        assertThat(d.commandLine(json, dir, "tcg")).containsSubsequence("-machine", "q35,accel=tcg",
                "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + QemuSettings.DEFAULT_OVMF_CODE,
                "-drive", "if=pflash,format=raw,unit=1,file=" + dir.resolve("efivars.fd"));
    }

    private static QemuDriver driver(StubProviderContext ctx) throws Exception {
        return new QemuDriver(QemuSettings.from(ctx), ctx.hostPorts(), ctx.seedWriter());
    }
}
