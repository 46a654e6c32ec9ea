package io.vboxmcp.qemu;

import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.qemu.internal.QemuDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.testkit.DriverBench;
import io.vboxmcp.testkit.StubProviderContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Create-to-ready time of the QEMU driver against a raw {@code qemu-system-x86_64} boot of the same image to the
 * same readiness point (the guest's SSH banner on the forwarded port), measured alternately in one process.
 * Run by {@code benchmarks/scripts/bench-create.sh}; not a test.
 *
 * <p>Both sides create a qcow2 overlay and a NoCloud seed and boot with the same kernel, memory and cpus, under
 * the acceleration the driver picks (the raw side uses the same one). The driver side, the seed, the banner wait and
 * the arithmetic are the testkit's {@link DriverBench}, shared with libvirt's benchmark.
 */
public final class BenchCreate {
    private BenchCreate() {
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        BaseImage image = TestImage.baseImage();
        Path work = Files.createTempDirectory("vboxmcp-bench");
        SshKeys.SshKeyPair key = SshKeys.generate(work.resolve("key"), "bench");
        HypervisorDriver driver = new QemuDriverFactory().create(new StubProviderContext(work.resolve("home"), Map.of()));
        List<Double> ours = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        String accel = "tcg";
        try {
            // one warm-up of each (the driver's KVM probe runs at most once per host boot; page cache warms for both)
            accel = DriverBench.driverRun(driver, image, key.publicKeyLine(), work).attributes()
                    .getOrDefault("accel", "tcg");
            rawRun(image, key, work, accel);
            for (int i = 0; i < runs; i++) {
                ours.add(DriverBench.driverRun(driver, image, key.publicKeyLine(), work).seconds());
                raw.add(rawRun(image, key, work, accel));
                System.out.printf("run %d: driver %.2f s, raw qemu %.2f s%n", i + 1, ours.get(i), raw.get(i));
            }
        } finally {
            driver.close();
            AtomicFiles.deleteTree(work);
        }
        double mo = DriverBench.median(ours);
        double mr = DriverBench.median(raw);
        System.out.printf("accel: %s, runs: %d%n", accel, runs);
        System.out.printf("median create-to-ready: driver %.2f s, raw qemu %.2f s, ratio %.3f%n", mo, mr, mo / mr);
    }

    private static double rawRun(BaseImage image, SshKeys.SshKeyPair key, Path work, String accel)
            throws Exception {
        Path dir = Files.createDirectories(work.resolve("raw-" + UUID.randomUUID().toString().substring(0, 8)));
        int port = DriverBench.freeLoopbackPort();
        long t0 = System.nanoTime();
        DriverBench.exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", image.disk().toString(), "-F",
                "qcow2", dir.resolve("disk.qcow2").toString(), DriverBench.DISK_MB + "M"));
        Path seed = DriverBench.noCloudSeed(dir, "raw", key.publicKeyLine(), "");
        Process q = new ProcessBuilder(List.of("qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
                "-machine", "q35,accel=" + accel, "-m", String.valueOf(DriverBench.MEMORY_MB), "-smp", "1",
                "-kernel", image.kernel().toString(), "-initrd", image.initrd().toString(), "-append", image.kernelArgs(),
                "-drive", "file=" + dir.resolve("disk.qcow2") + ",if=virtio,format=qcow2",
                "-drive", "file=" + seed + ",if=virtio,format=raw,readonly=on",
                "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:" + port + "-:22", "-device", "virtio-net-pci,netdev=n0",
                "-device", "virtio-rng-pci", "-serial", "file:" + dir.resolve("console.log")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
        try {
            DriverBench.awaitSshBanner(port);
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            // the baseline is this program's own child without a control socket
            q.destroy();
            if (!q.waitFor(5, TimeUnit.SECONDS)) {
                q.destroyForcibly();
                q.waitFor(5, TimeUnit.SECONDS);
            }
            AtomicFiles.deleteTree(dir);
        }
    }
}
