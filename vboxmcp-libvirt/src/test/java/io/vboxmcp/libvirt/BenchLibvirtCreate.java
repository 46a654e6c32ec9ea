package io.vboxmcp.libvirt;

import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.Digests;
import io.vboxmcp.libvirt.internal.LibvirtDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.testkit.DriverBench;
import io.vboxmcp.testkit.StubProviderContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Create-to-ready time of the libvirt driver against {@code virt-install --import} of the same image to the same
 * point (the guest's SSH banner on the forwarded port), alternating, in one run. Not part of the suite (the class
 * name does not end in Test); run it with
 * {@code mvn -pl vboxmcp-libvirt -am test -Dtest=BenchLibvirtCreate -Dsurefire.failIfNoSpecifiedTests=false
 * -Dbench.runs=5}; results go to {@code target/bench-libvirt-create.txt}.
 *
 * <p>Both sides: qemu:///system, TCG, q35, 256 MiB, 1 vCPU, the same kernel/initrd/cmdline, a qcow2 overlay on the
 * base volume already in the pool (the driver's once-per-process read-back is paid in the warm-up), a NoCloud seed
 * with the same user-data, user-mode networking with one hostfwd for SSH, serial console to a file. The driver side,
 * the seed, the banner wait and the arithmetic are the testkit's {@link DriverBench}, shared with QEMU's benchmark.
 */
@Tag("vm")
class BenchLibvirtCreate {

    @Test
    void createToReady_versusVirtInstallImport() throws Exception {
        int runs = Integer.getInteger("bench.runs", 5);
        LibvirtFixture.ensureLibvirtd();
        BaseImage image = LibvirtFixture.testImage();
        Path work = Files.createTempDirectory("libvirt-bench");
        SshKeys.SshKeyPair key = SshKeys.generate(work.resolve("key"), "bench");
        List<Double> ours = new ArrayList<>();
        List<Double> virtInstall = new ArrayList<>();
        StringBuilder log = new StringBuilder();
        try (HypervisorDriver driver = new LibvirtDriverFactory().create(new StubProviderContext(work.resolve("home"), Map.of()))) {
            DriverBench.driverRun(driver, image, key.publicKeyLine(), work); // warm-up: pool, base read-back, page cache
            String pool = LibvirtFixture.virsh("qemu:///system", "pool-dumpxml", "vboxmcp")
                    .replaceAll("(?s).*<target>\\s*<path>([^<]+)</path>.*", "$1").strip();
            virtInstallRun(image, key, work, pool);
            for (int i = 0; i < runs; i++) {
                ours.add(DriverBench.driverRun(driver, image, key.publicKeyLine(), work).seconds());
                virtInstall.add(virtInstallRun(image, key, work, pool));
                String line = String.format("run %d: vboxmcp libvirt driver %.2f s, virt-install --import %.2f s%n", i + 1,
                        ours.get(i), virtInstall.get(i));
                log.append(line);
                System.out.print(line);
            }
        }
        double mo = DriverBench.median(ours);
        double mv = DriverBench.median(virtInstall);
        String load = Files.readString(Path.of("/proc/loadavg")).strip();
        log.append(String.format("median create-to-ready: driver %.2f s, virt-install %.2f s, ratio %.3f (load %s)%n",
                mo, mv, mo / mv, load));
        System.out.print(log);
        Files.writeString(Path.of("target/bench-libvirt-create.txt"), log.toString());
        assertThat(ours).hasSize(runs);
    }

    private static double virtInstallRun(BaseImage image, SshKeys.SshKeyPair key, Path work, String poolPath)
            throws Exception {
        String name = "bench-vi-" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createDirectories(work.resolve(name));
        int port = DriverBench.freeLoopbackPort();
        String base = poolPath + "/vboxmcp-base-" + image.digest().replace(':', '-');
        String kernel = poolPath + "/vboxmcp-kernel-sha256-" + Digests.sha256File(image.kernel()).hex();
        String initrd = poolPath + "/vboxmcp-initrd-sha256-" + Digests.sha256File(image.initrd()).hex();
        long t0 = System.nanoTime();
        Path seed = DriverBench.noCloudSeed(dir, "vi", key.publicKeyLine(), "ssh_pwauth: false\n");
        DriverBench.exec(List.of("virt-install", "--connect", "qemu:///system", "--name", name, "--import", "--virt-type", "qemu",
                "--machine", "q35", "--memory", String.valueOf(DriverBench.MEMORY_MB), "--vcpus", "1", "--osinfo", "detect=off,require=off",
                "--disk", "pool=vboxmcp,size=0.5,backing_store=" + base + ",backing_format=qcow2,format=qcow2,bus=virtio",
                "--disk", "path=" + seed + ",device=disk,bus=virtio,readonly=on",
                "--boot", "kernel=" + kernel + ",initrd=" + initrd + ",kernel_args=" + image.kernelArgs(),
                "--network", "none", "--graphics", "none", "--serial", "file,path=" + dir.resolve("console.log"),
                "--qemu-commandline=-netdev user,id=n0,hostfwd=tcp:127.0.0.1:" + port + "-:22 -device virtio-net-pci,netdev=n0,bus=pcie.0,addr=0x10",
                "--noautoconsole", "--wait", "0"));
        try {
            DriverBench.awaitSshBanner(port);
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            LibvirtFixture.virsh("qemu:///system", "destroy", name);
            LibvirtFixture.virsh("qemu:///system", "undefine", name, "--remove-all-storage");
            // virt-install made a pool for the seed's folder (named after it); it must not outlive the run
            LibvirtFixture.removePool(dir.getFileName().toString());
            AtomicFiles.deleteTree(dir);
        }
    }
}
