package io.vboxmcp.testkit;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What a {@link HypervisorDriverCompatibilityKit} subclass supplies (driver, base image, key, sizes) and the
 * helpers the kit's checks use: plans, specs, SSH banners, leftovers. The driver is made for each test with a
 * {@link RecordingProviderContext} around {@link #providerContext()}, so the kit sees which ports and seeds the
 * driver took from the context.
 */
public abstract class DriverKitSupport {
    /** Per-test scratch space: VM folders and shared folders live here. */
    @TempDir
    protected Path work;

    protected HypervisorDriver driver;
    /** The context the driver was made with; records the ports and seeds it took. */
    protected RecordingProviderContext context;
    protected final List<Machine> machines = new CopyOnWriteArrayList<>();
    /** Every progress event the driver reported during the test. */
    protected final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    /**
     * @param context what the driver must be made with (its factory's {@code create(context)}): the kit checks
     *                that host ports and cloud-init seeds come from its {@link ProviderContext#hostPorts()} and
     *                {@link ProviderContext#seedWriter()}
     * @return a fresh driver for one test; closed after it
     */
    protected abstract HypervisorDriver createDriver(ProviderContext context) throws Exception;

    /**
     * @return the context handed (recorded) to {@link #createDriver}; by default a {@link StubProviderContext}
     *         with its home under {@link #work} and core's host services (override to add configuration)
     */
    protected ProviderContext providerContext() throws Exception {
        return new StubProviderContext(work.resolve("home"));
    }

    /** @return the verified base image machines are created from */
    protected abstract BaseImage baseImage() throws Exception;

    /** @return the {@code authorized_keys} line injected into every machine */
    protected abstract String sshPublicKey() throws Exception;

    /** @return the guest user the key is installed for */
    protected String sshUser() {
        return "root";
    }

    /** @return whether machines are real guests whose SSH server answers on the forwarded port */
    protected boolean bootsRealGuests() {
        return true;
    }

    /** @return whether {@link #guestExec} works (false for fake drivers) */
    protected boolean supportsGuestExec() {
        return false;
    }

    /**
     * @return whether the driver attaches host folders; a driver that cannot (libvirt on a remote host) must refuse
     * a plan with shared folders at {@code create}, with a typed error and nothing left behind
     */
    protected boolean supportsSharedFolders() {
        return true;
    }

    /**
     * Runs {@code command} as root in the running guest.
     *
     * @return the result, never null
     */
    protected ExecResult guestExec(Machine machine, String command) throws Exception {
        throw new UnsupportedOperationException("this driver's test does not run guest commands");
    }

    /** @return a shell command that serves {@code text} to every TCP connection on guest port {@code port}, in the background */
    protected String guestServeCommand(int port, String text) {
        return "(while true; do echo '" + text + "' | nc -l -p " + port + "; done) >/dev/null 2>&1 </dev/null &";
    }

    /** @return how long a started guest may take to answer SSH */
    protected Duration readyTimeout() {
        return Duration.ofMinutes(3);
    }

    /** @return the grace {@code stop} gets in the lifecycle test */
    protected Duration stopGrace() {
        return Duration.ofSeconds(30);
    }

    protected int memoryMb() {
        return 256;
    }

    protected int cpus() {
        return 1;
    }

    protected int diskMb() {
        return 512;
    }

    @BeforeEach
    void createDriverForTest() throws Exception {
        context = new RecordingProviderContext(providerContext());
        driver = createDriver(context);
    }

    @AfterEach
    void destroyEverything() throws Exception {
        for (Machine m : machines) {
            try {
                driver.destroy(m);
            } catch (VboxmcpException e) {
                // the test itself reports what went wrong
            }
        }
        driver.close();
    }

    /** A plan with the given template ports and shared folders; SSH (guest 22) is always forwarded first. */
    protected VmPlan plan(String name, List<PortForward> ports, List<PlannedSharedFolder> shares) throws Exception {
        List<PortForward> all = new ArrayList<>();
        all.add(new PortForward(22, 0, "127.0.0.1"));
        all.addAll(ports);
        List<Integer> templatePorts = ports.stream().map(PortForward::guestPort).toList();
        TemplateDefinition t = new TemplateDefinition("kit", SemanticVersion.parse("1.0.0"), "compatibility kit", null,
                baseImage().reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), templatePorts, List.of(),
                TemplateMetadata.EMPTY, Map.of());
        return new VmPlan(name, t, "sha256:" + "0".repeat(64), null, driver.id(), memoryMb(), cpus(), diskMb(), all,
                shares);
    }

    /** The VM folder the manager would hand the driver: created, empty. */
    protected Path vmDir(String name) throws IOException {
        return Files.createDirectories(work.resolve("vms").resolve(name));
    }

    protected MachineSpec spec(VmPlan plan) throws Exception {
        return new MachineSpec(plan, vmDir(plan.vmName()), baseImage(), sshPublicKey(), sshUser(),
                "iid-" + UUID.randomUUID(), events::add);
    }

    /** Creates a machine and remembers it for cleanup. */
    protected Machine create(VmPlan plan) throws Exception {
        Machine m = driver.create(spec(plan));
        machines.add(m);
        return m;
    }

    protected Machine createAndStart(VmPlan plan) throws Exception {
        Machine m = create(plan);
        driver.start(m);
        return m;
    }

    protected static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Waits until the guest's SSH server sends its banner through the forwarded port. */
    protected String awaitSshBanner(Machine m) throws Exception {
        long deadline = System.nanoTime() + readyTimeout().toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = readGreeting(m.sshHost(), m.sshPort(), 8);
            if (last.startsWith("SSH-2.0-")) {
                return last;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no SSH banner from " + m.name() + " on " + m.sshHost() + ":" + m.sshPort()
                + " within " + readyTimeout() + " (last read: '" + last + "'); console:\n" + driver.consoleTail(m, 20));
    }

    /** Connects and reads up to {@code max} bytes (or the first line); empty on any failure. */
    protected static String readGreeting(String host, int port, int max) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            s.setSoTimeout(2000);
            InputStream in = s.getInputStream();
            StringBuilder b = new StringBuilder();
            int c;
            while (b.length() < max && (c = in.read()) >= 0 && c != '\n') {
                b.append((char) c);
            }
            return b.toString().trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Whether the driver left anything in the VM folder. */
    protected static List<Path> leftovers(Path vmDir) throws IOException {
        if (!Files.exists(vmDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(vmDir)) {
            return s.toList();
        }
    }
}
