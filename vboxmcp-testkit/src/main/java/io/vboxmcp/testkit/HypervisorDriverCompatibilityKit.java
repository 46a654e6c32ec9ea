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
 * <p>The driver is made with the {@link io.vboxmcp.spi.ProviderContext} the kit passes to
 * {@link #createDriver(io.vboxmcp.spi.ProviderContext)}: host ports and the cloud-init seed must come from its
 * {@code hostPorts()} and {@code seedWriter()} (one rule for every driver), which the kit checks.
 *
 * <p>Checks that need a real guest (SSH banner, commands in the guest) run only when {@link #bootsRealGuests()}
 * and {@link #supportsGuestExec()} say so, so fake drivers can run the rest. Tag the subclass {@code @Tag("vm")}
 * when it boots real machines.
 *
 * @since 0.2.0
 */
public abstract class HypervisorDriverCompatibilityKit extends DriverKitSupport {

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

    @Test
    void hostPorts_comeFromProviderContext_andAreGivenBack() throws Exception {
        Machine m = create(plan(uniqueName("hostports"), List.of(new PortForward(8080, 0, "127.0.0.1")), List.of()));
        assertThat(context.portNumbers()).as("ports the driver took from ProviderContext.hostPorts()")
                .contains(m.sshPort(), m.ports().get(8080));
        driver.destroy(m);
        assertThat(context.ports).as("ports still held after destroy").allMatch(RecordingProviderContext.RecordedPort::closed);
    }

    @Test
    void cloudInitSeed_isWrittenByProviderContext() throws Exception {
        VmPlan plan = plan(uniqueName("seed"), List.of(), List.of());
        MachineSpec spec = spec(plan);
        Machine m = driver.create(spec);
        machines.add(m);
        assertThat(context.seeds).as("seeds written through ProviderContext.seedWriter()").hasSize(1);
        RecordingProviderContext.RecordedSeed seed = context.seeds.get(0);
        assertThat(seed.seed().instanceId()).isEqualTo(spec.instanceId());
        assertThat(seed.seed().user()).isEqualTo(spec.sshUser());
        assertThat(seed.seed().sshPublicKey()).isEqualTo(spec.sshPublicKey());
        assertThat(seed.iso()).as("the seed lives in the VM folder").startsWith(spec.vmDir());
    }
}
