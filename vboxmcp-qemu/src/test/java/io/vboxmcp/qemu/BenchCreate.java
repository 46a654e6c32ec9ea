package io.vboxmcp.qemu;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VmPlan;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.qemu.internal.QemuDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
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
 * the acceleration the driver picks (the raw side uses the same one).
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
            accel = driverRun(driver, image, key, work).accel();
            rawRun(image, key, work, accel);
            for (int i = 0; i < runs; i++) {
                ours.add(driverRun(driver, image, key, work).seconds());
                raw.add(rawRun(image, key, work, accel));
                System.out.printf("run %d: driver %.2f s, raw qemu %.2f s%n", i + 1, ours.get(i), raw.get(i));
            }
        } finally {
            driver.close();
            deleteTree(work);
        }
        double mo = median(ours);
        double mr = median(raw);
        System.out.printf("accel: %s, runs: %d%n", accel, runs);
        System.out.printf("median create-to-ready: driver %.2f s, raw qemu %.2f s, ratio %.3f%n", mo, mr, mo / mr);
    }

    private record Run(double seconds, String accel) { }

    private static Run driverRun(HypervisorDriver driver, BaseImage image, SshKeys.SshKeyPair key, Path work)
            throws Exception {
        String name = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        TemplateDefinition t = new TemplateDefinition("bench", SemanticVersion.parse("1.0.0"), null, null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        VmPlan plan = new VmPlan(name, t, "sha256:" + "0".repeat(64), null, "qemu", 256, 1, 512,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of());
        Path vmDir = Files.createDirectories(work.resolve("vms").resolve(name));
        long t0 = System.nanoTime();
        Machine m = driver.create(new MachineSpec(plan, vmDir, image, key.publicKeyLine(), "root",
                "iid-" + UUID.randomUUID(), ProgressListener.NONE));
        try {
            driver.start(m);
            awaitBanner(m.sshPort());
            double secs = (System.nanoTime() - t0) / 1e9;
            return new Run(secs, driver.find(name, vmDir).map(x -> x.attributes().getOrDefault("accel", "tcg")).orElse("tcg"));
        } finally {
            driver.destroy(m);
        }
    }

    private static double rawRun(BaseImage image, SshKeys.SshKeyPair key, Path work, String accel)
            throws Exception {
        Path dir = Files.createDirectories(work.resolve("raw-" + UUID.randomUUID().toString().substring(0, 8)));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        exec(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", image.disk().toString(), "-F", "qcow2",
                dir.resolve("disk.qcow2").toString(), "512M"));
        Files.writeString(dir.resolve("meta-data"), "instance-id: iid-" + UUID.randomUUID() + "\nlocal-hostname: raw\n");
        Files.writeString(dir.resolve("user-data"), "#cloud-config\nhostname: raw\ndisable_root: false\n"
                + "ssh_authorized_keys:\n  - \"" + key.publicKeyLine() + "\"\n");
        exec(List.of("genisoimage", "-quiet", "-output", dir.resolve("seed.iso").toString(), "-volid", "cidata",
                "-joliet", "-rock", dir.resolve("user-data").toString(), dir.resolve("meta-data").toString()));
        Process q = new ProcessBuilder(List.of("qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
                "-machine", "q35,accel=" + accel, "-m", "256", "-smp", "1",
                "-kernel", image.kernel().toString(), "-initrd", image.initrd().toString(), "-append", image.kernelArgs(),
                "-drive", "file=" + dir.resolve("disk.qcow2") + ",if=virtio,format=qcow2",
                "-drive", "file=" + dir.resolve("seed.iso") + ",if=virtio,format=raw,readonly=on",
                "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:" + port + "-:22", "-device", "virtio-net-pci,netdev=n0",
                "-device", "virtio-rng-pci", "-serial", "file:" + dir.resolve("console.log")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu.log").toFile()).start();
        try {
            awaitBanner(port);
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            // the baseline is this program's own child without a control socket
            q.destroy();
            if (!q.waitFor(5, TimeUnit.SECONDS)) {
                q.destroyForcibly();
                q.waitFor(5, TimeUnit.SECONDS);
            }
            deleteTree(dir);
        }
    }

    private static void awaitBanner(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                s.setSoTimeout(1000);
                InputStream in = s.getInputStream();
                byte[] b = in.readNBytes(8);
                if (new String(b, java.nio.charset.StandardCharsets.US_ASCII).equals("SSH-2.0-")) {
                    return;
                }
            } catch (IOException e) {
                // not yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no SSH banner on port " + port);
    }

    private static void exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(cmd.get(0) + " failed: " + out);
        }
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(Collections.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}
