package io.vboxmcp.qemu;

import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VmPlan;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.qemu.internal.QemuDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.testkit.VmHostResidue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A create cancelled while QEMU starts: the thread running {@code start} is interrupted at many points of the
 * launch, then the create's undos run as the pipeline runs them (destroy the machine, then remove the VM folder).
 * Whatever point the interrupt hit, the folder must be removable at once and no QEMU may be left.
 */
@Tag("vm")
class CancelledStartTest {
    @TempDir
    Path work;
    private HypervisorDriver driver;
    private BaseImage image;

    @BeforeEach
    void driver() throws Exception {
        image = TestImage.baseImage();
        driver = new QemuDriverFactory().create(new StubProviderContext(work.resolve("home"), Map.of()));
    }

    @AfterEach
    void close() throws Exception {
        driver.close();
    }

    @Test
    void interruptedStart_thenDestroyAndFolderRemoval_leaveNothing() throws Exception {
        List<String> left = new ArrayList<>();
        // the interrupt lands while QEMU's launcher runs: as soon as it appears, and a little later each round, so
        // both before and after the daemon child has written its pid file
        for (int i = 0; i < 8; i++) {
            long delayMs = i * 15L;
            Path vmDir = Files.createDirectories(work.resolve("vms").resolve("cancel-" + i));
            Machine m = driver.create(spec(vmDir, "cancel-" + i));
            Thread starter = new Thread(() -> {
                try {
                    driver.start(m);
                } catch (Exception expected) {
                    // CANCELLED or a failed launch: either way the undos below must leave nothing
                }
            });
            starter.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (VmHostResidue.processes(vmDir).isEmpty() && starter.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);  // polling for QEMU's launcher to appear, bounded by the deadline
            }
            TimeUnit.MILLISECONDS.sleep(delayMs);  // where the interrupt lands, not a wait for a result
            starter.interrupt();
            starter.join(TimeUnit.SECONDS.toMillis(60));
            assertThat(starter.isAlive()).as("start returns once interrupted").isFalse();

            driver.destroy(m);
            try {
                AtomicFiles.deleteTree(vmDir);
            } catch (java.io.IOException e) {
                left.add("interrupt " + delayMs + " ms into the launch: " + e);
            }
            // a QEMU still starting could put files back after the removal
            if (Files.exists(vmDir)) {
                try (var s = Files.list(vmDir)) {
                    left.add("interrupt " + delayMs + " ms into the launch: folder still holds " + s.toList());
                }
                AtomicFiles.deleteTreeQuietly(vmDir);
            }
            List<Long> qemu = VmHostResidue.processes(vmDir);
            if (!qemu.isEmpty()) {
                left.add("interrupt " + delayMs + " ms into the launch: QEMU " + qemu + " still runs");
                qemu.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            }
        }
        assertThat(left).as("what a cancelled start left behind").isEmpty();
    }

    private MachineSpec spec(Path vmDir, String name) throws Exception {
        TemplateDefinition t = new TemplateDefinition("cancel-test", SemanticVersion.parse("1.0.0"), null, null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        VmPlan plan = new VmPlan(name, t, "sha256:" + "0".repeat(64), null, "qemu", 256, 1, 512,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of());
        return new MachineSpec(plan, vmDir, image, "ssh-ed25519 AAAA test", "root", "iid-" + UUID.randomUUID(),
                ProgressListener.NONE);
    }
}
