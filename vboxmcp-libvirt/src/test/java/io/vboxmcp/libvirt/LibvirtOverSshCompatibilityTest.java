package io.vboxmcp.libvirt;

import io.vboxmcp.ProgressEvent;
import io.vboxmcp.spi.Machine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compatibility kit once more, through {@code qemu+ssh://root@127.0.0.1:<port>/system} to a real sshd on
 * loopback, into a pool of its own ({@code vboxmcp-ssh}, created by the driver and removed afterwards) so that the
 * remote path, pool creation and the base image upload included, runs for real. Shared folders are refused on
 * remote connections, which the kit checks instead of mounting one.
 *
 * <p>To stay within CI's time budget the kit's guest checks (SSH banner, a served port) run here only with
 * {@code -Dvboxmcp.libvirt.ssh.full=true} (every machine is still created, started, stopped and destroyed over SSH);
 * the guest path over SSH is covered once by {@link #baseImage_isUploadedOnceAndDestroyLeavesOnlySharedVolumes_overSsh},
 * which boots a guest and runs a command in it. The guests are the same domains as on qemu:///system.
 */
@Tag("vm")
class LibvirtOverSshCompatibilityTest extends LibvirtDriverCompatibilityTest {
    static final String POOL = "vboxmcp-ssh";
    static LoopbackSshd sshd;

    @BeforeAll
    static void startSshd() throws Exception {
        sshd = LoopbackSshd.start();
        removePool(); // a pool an interrupted earlier run left, so that this run uploads again
    }

    @AfterAll
    static void stopSshd() throws Exception {
        try {
            removePool();
        } finally {
            sshd.close();
        }
    }

    private static void removePool() throws Exception {
        String pools = LibvirtFixture.virsh("qemu:///system", "pool-list", "--all", "--name");
        if (Arrays.asList(pools.split("\\s+")).contains(POOL)) {
            LibvirtFixture.virsh("qemu:///system", "pool-refresh", POOL);
            for (String v : volumes()) {
                LibvirtFixture.virsh("qemu:///system", "vol-delete", "--pool", POOL, v);
            }
            LibvirtFixture.virsh("qemu:///system", "pool-destroy", POOL);
            LibvirtFixture.virsh("qemu:///system", "pool-delete", POOL);
            LibvirtFixture.virsh("qemu:///system", "pool-undefine", POOL);
        }
    }

    @Override
    protected String uri() {
        return sshd.uri();
    }

    @Override
    protected java.util.Map<String, String> config() {
        return java.util.Map.of(LibvirtKeys.POOL, POOL, LibvirtKeys.POOL_PATH, "/var/lib/libvirt/images/" + POOL);
    }

    @Override
    protected boolean bootsRealGuests() {
        return Boolean.getBoolean("vboxmcp.libvirt.ssh.full");
    }

    @Override
    protected boolean supportsSharedFolders() {
        return false;
    }

    @Test
    void baseImage_isUploadedOnceAndDestroyLeavesOnlySharedVolumes_overSsh() throws Exception {
        Machine a = create(plan(uniqueName("up-a"), List.of(), List.of()));
        List<String> afterFirst = volumes();
        assertThat(afterFirst).anyMatch(v -> v.startsWith("vboxmcp-base-sha256-"));
        events.clear();
        Machine b = create(plan(uniqueName("up-b"), List.of(), List.of()));
        assertThat(events).as("second create reuses the verified base volume")
                .noneMatch(e -> e.message().startsWith("uploaded "));
        assertThat(events).extracting(ProgressEvent::step).contains("libvirt.create");
        driver.start(a);
        awaitSshBanner(a);
        assertThat(guestExec(a, "cat /proc/cmdline").stdout()).as("the kernel volume booted with its arguments")
                .contains(image.kernelArgs());
        assertThat(driver.consoleTail(a, 200)).as("the console log, read back from the pool over SSH").isNotBlank();
        driver.destroy(a);
        driver.destroy(b);
        assertThat(volumes()).as("volumes left after destroying both machines")
                .allMatch(v -> v.startsWith("vboxmcp-base-") || v.startsWith("vboxmcp-kernel-")
                        || v.startsWith("vboxmcp-initrd-"));
        assertThat(leftovers(a.vmDir())).isEmpty();
    }

    private static List<String> volumes() throws Exception {
        // virsh 9.0's vol-list has no --name: the first column is the name
        return LibvirtFixture.virsh("qemu:///system", "vol-list", POOL).lines().map(String::strip)
                .filter(l -> !l.isEmpty()).map(l -> l.split("\\s+")[0]).toList();
    }
}
