package io.vboxmcp.libvirt;

import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VmPlan;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.libvirt.internal.LibvirtDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.testkit.StubProviderContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

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
 * with the same user-data, user-mode networking with one hostfwd for SSH, serial console to a file.
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
            driverRun(driver, image, key, work); // warm-up: pool, base read-back, page cache
            String pool = LibvirtFixture.virsh("qemu:///system", "pool-dumpxml", "vboxmcp")
                    .replaceAll("(?s).*<target>\\s*<path>([^<]+)</path>.*", "$1").strip();
            virtInstallRun(image, key, work, pool);
            for (int i = 0; i < runs; i++) {
                ours.add(driverRun(driver, image, key, work));
                virtInstall.add(virtInstallRun(image, key, work, pool));
                String line = String.format("run %d: vboxmcp libvirt driver %.2f s, virt-install --import %.2f s%n", i + 1,
                        ours.get(i), virtInstall.get(i));
                log.append(line);
                System.out.print(line);
            }
        }
        double mo = median(ours);
        double mv = median(virtInstall);
        String load = Files.readString(Path.of("/proc/loadavg")).strip();
        log.append(String.format("median create-to-ready: driver %.2f s, virt-install %.2f s, ratio %.3f (load %s)%n",
                mo, mv, mo / mv, load));
        System.out.print(log);
        Files.writeString(Path.of("target/bench-libvirt-create.txt"), log.toString());
        assertThat(ours).hasSize(runs);
    }

    private static double driverRun(HypervisorDriver driver, BaseImage image, SshKeys.SshKeyPair key, Path work)
            throws Exception {
        String name = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        TemplateDefinition t = new TemplateDefinition("bench", SemanticVersion.parse("1.0.0"), null, null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        VmPlan plan = new VmPlan(name, t, "sha256:" + "0".repeat(64), null, "libvirt", 256, 1, 512,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of());
        Path vmDir = Files.createDirectories(work.resolve("vms").resolve(name));
        long t0 = System.nanoTime();
        Machine m = driver.create(new MachineSpec(plan, vmDir, image, key.publicKeyLine(), "root",
                "iid-" + UUID.randomUUID(), ProgressListener.NONE));
        try {
            driver.start(m);
            awaitBanner(m.sshPort());
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            driver.destroy(m);
        }
    }

    private static double virtInstallRun(BaseImage image, SshKeys.SshKeyPair key, Path work, String poolPath)
            throws Exception {
        String name = "bench-vi-" + UUID.randomUUID().toString().substring(0, 8);
        Path dir = Files.createDirectories(work.resolve(name));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String base = poolPath + "/vboxmcp-base-" + image.digest().replace(':', '-');
        String kernel = poolPath + "/vboxmcp-kernel-" + sha256(image.kernel());
        String initrd = poolPath + "/vboxmcp-initrd-" + sha256(image.initrd());
        long t0 = System.nanoTime();
        Files.writeString(dir.resolve("meta-data"), "instance-id: iid-" + UUID.randomUUID() + "\nlocal-hostname: vi\n");
        Files.writeString(dir.resolve("user-data"), "#cloud-config\nhostname: vi\ndisable_root: false\nssh_pwauth: false\n"
                + "ssh_authorized_keys:\n  - \"" + key.publicKeyLine() + "\"\n");
        exec(List.of("genisoimage", "-quiet", "-output", dir.resolve("seed.iso").toString(), "-volid", "cidata",
                "-joliet", "-rock", dir.resolve("user-data").toString(), dir.resolve("meta-data").toString()));
        exec(List.of("virt-install", "--connect", "qemu:///system", "--name", name, "--import", "--virt-type", "qemu",
                "--machine", "q35", "--memory", "256", "--vcpus", "1", "--osinfo", "detect=off,require=off",
                "--disk", "pool=vboxmcp,size=0.5,backing_store=" + base + ",backing_format=qcow2,format=qcow2,bus=virtio",
                "--disk", "path=" + dir.resolve("seed.iso") + ",device=disk,bus=virtio,readonly=on",
                "--boot", "kernel=" + kernel + ",initrd=" + initrd + ",kernel_args=" + image.kernelArgs(),
                "--network", "none", "--graphics", "none", "--serial", "file,path=" + dir.resolve("console.log"),
                "--qemu-commandline=-netdev user,id=n0,hostfwd=tcp:127.0.0.1:" + port + "-:22 -device virtio-net-pci,netdev=n0,bus=pcie.0,addr=0x10",
                "--noautoconsole", "--wait", "0"));
        try {
            awaitBanner(port);
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            LibvirtFixture.virsh("qemu:///system", "destroy", name);
            LibvirtFixture.virsh("qemu:///system", "undefine", name, "--remove-all-storage");
            // virt-install made a pool for the seed's folder (named after it); it must not outlive the run
            LibvirtFixture.removePool(dir.getFileName().toString());
            if (Files.exists(dir)) {
                deleteTree(dir);
            }
        }
    }

    private static String sha256(Path f) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(f)) {
            in.transferTo(new java.security.DigestOutputStream(java.io.OutputStream.nullOutputStream(), md));
        }
        return "sha256-" + java.util.HexFormat.of().formatHex(md.digest());
    }

    private static void awaitBanner(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                s.setSoTimeout(1000);
                if (new String(s.getInputStream().readNBytes(8), StandardCharsets.US_ASCII).equals("SSH-2.0-")) {
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
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
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
        try (var s = Files.walk(p)) {
            for (Path x : s.sorted(Collections.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}
