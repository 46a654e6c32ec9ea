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
 * The contract every {@link HypervisorDriver} must meet. A driver's test module extends this class and supplies
 * the driver, a base image and an SSH public key; the kit creates, starts, stops and destroys machines through the
 * SPI exactly as the manager does. Modelled on Micrometer's {@code MeterRegistryCompatibilityKit}.
 *
 * <p>Checks that need a real guest (SSH banner, commands in the guest) run only when {@link #bootsRealGuests()}
 * and {@link #supportsGuestExec()} say so, so fake drivers can run the rest. Tag the subclass {@code @Tag("vm")}
 * when it boots real machines.
 */
public abstract class HypervisorDriverCompatibilityKit {
    /** Per-test scratch space: VM folders and shared folders live here. */
    @TempDir
    protected Path work;

    protected HypervisorDriver driver;
    private final List<Machine> machines = new CopyOnWriteArrayList<>();
    /** Every progress event the driver reported during the test. */
    protected final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    /** @return a fresh driver for one test; closed after it */
    protected abstract HypervisorDriver createDriver() throws Exception;

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
        driver = createDriver();
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

    // ----------------------------------------------------------------------------------------- helpers

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

    // ------------------------------------------------------------------------------------------- tests

    @Test
    @DisplayName("lifecycle: create, start, stop, start again, destroy")
    void lifecycle_createStartStopStartDestroy() throws Exception {
        Machine m = create(plan(uniqueName("life"), List.of(), List.of()));
        assertThat(driver.state(m)).as("state after create").isIn(VmState.CREATING, VmState.STOPPED);

        driver.start(m);
        assertThat(driver.state(m)).as("state after start").isEqualTo(VmState.RUNNING);
        if (bootsRealGuests()) {
            awaitSshBanner(m);
        }

        driver.stop(m, stopGrace());
        assertThat(driver.state(m)).as("state after stop").isEqualTo(VmState.STOPPED);

        driver.start(m);
        assertThat(driver.state(m)).as("state after the second start").isEqualTo(VmState.RUNNING);

        driver.destroy(m);
        assertThat(driver.state(m)).as("state after destroy").isEqualTo(VmState.DESTROYED);
        assertThat(leftovers(m.vmDir())).as("files left after destroy").isEmpty();
    }

    @Test
    void start_isIdempotentWhileRunning() throws Exception {
        Machine m = createAndStart(plan(uniqueName("twice"), List.of(), List.of()));
        driver.start(m);
        assertThat(driver.state(m)).isEqualTo(VmState.RUNNING);
    }

    @Test
    void stop_isIdempotentWhenStopped() throws Exception {
        Machine m = create(plan(uniqueName("stopped"), List.of(), List.of()));
        driver.stop(m, Duration.ofSeconds(1));
        driver.stop(m, Duration.ofSeconds(1));
        assertThat(driver.state(m)).isIn(VmState.STOPPED, VmState.CREATING);
    }

    @Test
    void destroy_isIdempotent() throws Exception {
        Machine m = createAndStart(plan(uniqueName("idem"), List.of(), List.of()));
        driver.destroy(m);
        driver.destroy(m);
        assertThat(driver.state(m)).isEqualTo(VmState.DESTROYED);
        assertThat(driver.find(m.name(), m.vmDir())).as("find after destroy").isEmpty();
    }

    @Test
    void destroy_cleansUpMachineThatWasNeverStarted() throws Exception {
        Machine m = create(plan(uniqueName("half"), List.of(), List.of()));
        assertThat(leftovers(m.vmDir())).as("create writes the machine's files").isNotEmpty();
        driver.destroy(m);
        assertThat(driver.state(m)).isEqualTo(VmState.DESTROYED);
        assertThat(leftovers(m.vmDir())).as("files left after destroying a created machine").isEmpty();
    }

    @Test
    void destroy_acceptsHandleOfMachineThatWasNeverCreated() throws Exception {
        Path dir = vmDir(uniqueName("ghost"));
        Machine ghost = new Machine(dir.getFileName().toString(), driver.id(), dir, "127.0.0.1", 1, Map.of(), Map.of());
        driver.destroy(ghost);
        assertThat(driver.state(ghost)).isEqualTo(VmState.DESTROYED);
    }

    @Test
    void find_rebuildsHandleAfterCreate() throws Exception {
        Machine m = create(plan(uniqueName("find"), List.of(new PortForward(8080, 0, "127.0.0.1")), List.of()));
        Machine found = driver.find(m.name(), m.vmDir()).orElseThrow(() -> new AssertionError("find returned nothing"));
        assertThat(found.name()).isEqualTo(m.name());
        assertThat(found.driverId()).isEqualTo(driver.id());
        assertThat(found.sshPort()).isEqualTo(m.sshPort());
        assertThat(found.ports()).isEqualTo(m.ports());
        assertThat(driver.find("some-other-name", m.vmDir())).as("find with another name").isEmpty();
    }

    @Test
    void create_reportsProgress() throws Exception {
        create(plan(uniqueName("progress"), List.of(), List.of()));
        assertThat(events).as("progress events of create").isNotEmpty();
        assertThat(events).allSatisfy(e -> assertThat(e.vmName()).isNotNull());
    }

    @Test
    void sshPort_isForwardedToGuestSsh() throws Exception {
        Assumptions.assumeTrue(bootsRealGuests(), "driver does not boot real guests");
        Machine m = createAndStart(plan(uniqueName("ssh"), List.of(), List.of()));
        assertThat(m.sshHost()).isEqualTo("127.0.0.1");
        assertThat(m.sshPort()).isBetween(1, 65535);
        assertThat(awaitSshBanner(m)).startsWith("SSH-2.0-");
    }

    @Test
    void templatePorts_areForwardedToTheGuest() throws Exception {
        Machine m = create(plan(uniqueName("ports"), List.of(new PortForward(8080, 0, "127.0.0.1"),
                new PortForward(9090, 0, "127.0.0.1")), List.of()));
        assertThat(m.ports()).containsKeys(8080, 9090);
        Set<Integer> host = new HashSet<>(m.ports().values());
        host.add(m.sshPort());
        assertThat(host).as("host ports of ssh, 8080 and 9090 are distinct").hasSize(3);
        Assumptions.assumeTrue(bootsRealGuests() && supportsGuestExec(), "driver cannot run guest commands");
        driver.start(m);
        awaitSshBanner(m);
        String text = "kit-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(guestExec(m, guestServeCommand(8080, text)).exitCode()).isZero();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String got = "";
        while (System.nanoTime() < deadline && !got.equals(text)) {
            got = readGreeting(m.sshHost(), m.ports().get(8080), 64);
            if (!got.equals(text)) {
                Thread.sleep(250);
            }
        }
        assertThat(got).as("what the guest's port 8080 served through the host forward").isEqualTo(text);
    }

    @Test
    void twoMachines_getDistinctHostPorts() throws Exception {
        Machine a = create(plan(uniqueName("a"), List.of(new PortForward(8080, 0, "127.0.0.1")), List.of()));
        Machine b = create(plan(uniqueName("b"), List.of(new PortForward(8080, 0, "127.0.0.1")), List.of()));
        Set<Integer> all = new HashSet<>();
        all.add(a.sshPort());
        all.add(b.sshPort());
        all.add(a.ports().get(8080));
        all.add(b.ports().get(8080));
        assertThat(all).as("host ports of two machines").hasSize(4);
    }

    @Test
    void readOnlySharedFolder_isReadableAndRefusesWrites() throws Exception {
        Path share = Files.createDirectories(work.resolve("share"));
        Files.writeString(share.resolve("hello.txt"), "hello from the host\n");
        PlannedSharedFolder folder = new PlannedSharedFolder("data", share, "/mnt/data", true);
        if (!supportsSharedFolders()) {
            VmPlan plan = plan(uniqueName("noshare"), List.of(), List.of(folder));
            MachineSpec spec = spec(plan);
            VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> machines.add(driver.create(spec)));
            assertThat(e).as("creating a machine with a shared folder on a driver without shares").isNotNull();
            assertThat(e.getMessage()).contains(share.toString());
            assertThat(leftovers(spec.vmDir())).as("files left after the refusal").isEmpty();
            assertThat(driver.find(plan.vmName(), spec.vmDir())).isEmpty();
            return;
        }
        Assumptions.assumeTrue(bootsRealGuests() && supportsGuestExec(), "driver cannot run guest commands");
        Machine m = createAndStart(plan(uniqueName("share"), List.of(), List.of(folder)));
        awaitSshBanner(m);
        ExecResult mount = guestExec(m, driver.guestMountCommand(m, folder));
        assertThat(mount.exitCode()).as("mount: " + mount.stderr()).isZero();
        assertThat(guestExec(m, "cat /mnt/data/hello.txt").stdout()).isEqualTo("hello from the host\n");
        ExecResult write = guestExec(m, "echo nope > /mnt/data/written.txt");
        assertThat(write.exitCode()).as("writing into a read-only share").isNotZero();
        ExecResult overwrite = guestExec(m, "echo changed > /mnt/data/hello.txt");
        assertThat(overwrite.exitCode()).as("overwriting a file in a read-only share").isNotZero();
        assertThat(share.resolve("written.txt")).doesNotExist();
        assertThat(Files.readString(share.resolve("hello.txt"))).isEqualTo("hello from the host\n");
    }

    @Test
    void portAlreadyTaken_isTypedErrorAndLeavesNothing() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = taken.getLocalPort();
            VmPlan plan = plan(uniqueName("taken"), List.of(new PortForward(8080, port, "127.0.0.1")), List.of());
            MachineSpec spec = spec(plan);
            VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> {
                Machine m = driver.create(spec);
                try {
                    driver.start(m);
                } catch (VboxmcpException startFailed) {
                    driver.destroy(m); // what the manager does when start fails
                    throw startFailed;
                }
                machines.add(m);
            });
            assertThat(e).as("creating a machine whose host port is taken").isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
            assertThat(e.getMessage()).contains(Integer.toString(port));
            assertThat(leftovers(spec.vmDir())).as("files left after the failure").isEmpty();
            assertThat(driver.find(plan.vmName(), spec.vmDir())).isEmpty();
            assertThat(taken.isBound()).isTrue();
        }
    }
}
