package io.vboxmcp.qemu.internal;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.spi.Machine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

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
        QemuDriver d = new QemuDriver(QemuSettings.from(new StubProviderContext(dir, Map.of())));
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
        QemuDriver d = new QemuDriver(QemuSettings.from(new StubProviderContext(dir, Map.of())));
        Path deep = dir.resolve("a".repeat(60)).resolve("b".repeat(60));
        assertThat(d.qmpSocket(deep).toString().length()).isLessThanOrEqualTo(100);
        assertThat(d.qmpSocket(Path.of("/tmp/vm1"))).isEqualTo(Path.of("/tmp/vm1/qmp.sock"));
    }

    @Test
    void seed_userDataInstallsKeyForRootAndNamesHost() {
        String ud = SeedIso.userData("vm-1", "root", "ssh-ed25519 AAAA test");
        assertThat(ud).startsWith("#cloud-config\n").contains("hostname: vm-1").contains("disable_root: false")
                .contains("- \"ssh-ed25519 AAAA test\"");
        assertThat(SeedIso.userData("vm-1", "ubuntu", "k")).contains("name: ubuntu").contains("disable_root: true");
        assertThat(QemuDriver.hostname("My_VM.1")).isEqualTo("my-vm-1");
        assertThat(List.of(SeedIso.metaData("iid-1", "h").split("\n"))).containsExactly("instance-id: iid-1", "local-hostname: h");
    }
}
