package io.vboxmcp.testkit;

import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VmPlan;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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

/**
 * What the drivers' create-to-ready benchmarks share (QEMU's {@code BenchCreate}, libvirt's
 * {@code BenchLibvirtCreate}): one machine of the test image through the driver to its SSH banner, the NoCloud seed
 * the raw baseline boots with, and the arithmetic. Both sides of a benchmark stop at the same point, the guest's
 * {@code SSH-2.0-} banner on the forwarded port, so the ratio compares like with like. Not a test; no assertions.
 *
 * @since 0.3.0
 */
public final class DriverBench {
    /** Memory of a benchmark machine, MiB: the test image's guests need little. */
    public static final int MEMORY_MB = 256;
    /** Disk of a benchmark machine, MiB. */
    public static final int DISK_MB = 512;

    private DriverBench() {
    }

    /**
     * One driver run's result.
     *
     * @param seconds    from {@code create} to the SSH banner
     * @param attributes what the driver recorded about the machine (for example the QEMU driver's {@code accel})
     */
    public record Run(double seconds, Map<String, String> attributes) {
        /**
         * Copies the attributes.
         *
         * @param seconds    from {@code create} to the SSH banner
         * @param attributes what the driver recorded about the machine, never null
         */
        public Run {
            attributes = Map.copyOf(attributes);
        }
    }

    /**
     * Creates a machine of {@code image} ({@value #MEMORY_MB} MiB, 1 vCPU, {@value #DISK_MB} MiB disk, SSH forwarded
     * to 127.0.0.1), starts it, waits for its SSH banner, and destroys it.
     *
     * @param driver        the driver under test, never null
     * @param image         the verified base image, never null
     * @param publicKeyLine the {@code authorized_keys} line for root, never null
     * @param work          where the VM folder goes, never null
     * @return the time and the machine's attributes, never null
     * @throws Exception if the driver fails or no banner comes within 3 minutes
     */
    public static Run driverRun(HypervisorDriver driver, BaseImage image, String publicKeyLine, Path work)
            throws Exception {
        String name = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        TemplateDefinition t = new TemplateDefinition("bench", SemanticVersion.parse("1.0.0"), null, null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        VmPlan plan = new VmPlan(name, t, "sha256:" + "0".repeat(64), null, driver.id(), MEMORY_MB, 1, DISK_MB,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of());
        Path vmDir = Files.createDirectories(work.resolve("vms").resolve(name));
        long t0 = System.nanoTime();
        Machine m = driver.create(new MachineSpec(plan, vmDir, image, publicKeyLine, "root",
                "iid-" + UUID.randomUUID(), ProgressListener.NONE));
        try {
            driver.start(m);
            awaitSshBanner(m.sshPort());
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Run(seconds, driver.find(name, vmDir).map(Machine::attributes).orElse(Map.of()));
        } finally {
            driver.destroy(m);
        }
    }

    /**
     * Writes the NoCloud seed a raw baseline boots with ({@code meta-data}, {@code user-data} with the key for root,
     * {@code seed.iso} made by the real {@code genisoimage}).
     *
     * @param dir           the run's folder, never null
     * @param hostname      the guest's host name, never null
     * @param publicKeyLine the {@code authorized_keys} line for root, never null
     * @param extraConfig   more {@code #cloud-config} lines (each ending in a newline), or empty
     * @return the seed ISO, never null
     * @throws Exception if {@code genisoimage} fails
     */
    public static Path noCloudSeed(Path dir, String hostname, String publicKeyLine, String extraConfig)
            throws Exception {
        Files.writeString(dir.resolve("meta-data"), "instance-id: iid-" + UUID.randomUUID() + "\nlocal-hostname: "
                + hostname + "\n");
        Files.writeString(dir.resolve("user-data"), "#cloud-config\nhostname: " + hostname + "\ndisable_root: false\n"
                + extraConfig + "ssh_authorized_keys:\n  - \"" + publicKeyLine + "\"\n");
        Path iso = dir.resolve("seed.iso");
        exec(List.of("genisoimage", "-quiet", "-output", iso.toString(), "-volid", "cidata", "-joliet", "-rock",
                dir.resolve("user-data").toString(), dir.resolve("meta-data").toString()));
        return iso;
    }

    /**
     * Waits for the {@code SSH-2.0-} banner on 127.0.0.1:{@code port}, polling every 50 ms for at most 3 minutes.
     *
     * @param port the forwarded SSH port
     * @throws Exception if no banner comes in time
     */
    public static void awaitSshBanner(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            if (DriverKitSupport.readGreeting("127.0.0.1", port, 8).startsWith("SSH-2.0-")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no SSH banner on port " + port);
    }

    /** @return a free TCP port on the loopback address (free when asked; a baseline's forward takes it next) */
    public static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Runs a command to its end (at most 5 minutes).
     *
     * @param cmd the command and its arguments, never null
     * @throws Exception if it fails or takes longer, with its output
     */
    public static void exec(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(cmd.get(0) + " failed: " + out);
        }
    }

    /**
     * @param values at least one
     * @return the median (the mean of the middle two for an even count)
     */
    public static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
