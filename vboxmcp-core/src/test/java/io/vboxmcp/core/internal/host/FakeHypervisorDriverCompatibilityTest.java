package io.vboxmcp.core.internal.host;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmState;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.CloudInitSeed;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.testkit.HypervisorDriverCompatibilityKit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kit against a fake driver that keeps its state in a file and runs no guests: shows which checks a driver
 * without real guests still has to pass, and that the kit itself runs. It lives in core because the kit's context
 * hands out core's host services (ports, seeds), as the manager does.
 */
class FakeHypervisorDriverCompatibilityTest extends HypervisorDriverCompatibilityKit {
    @Override
    protected HypervisorDriver createDriver(ProviderContext context) {
        return new FakeDriver(context);
    }

    @Override
    protected BaseImage baseImage() throws IOException {
        Path disk = work.resolve("base.img");
        if (!Files.exists(disk)) {
            Files.writeString(disk, "not a disk");
        }
        return new BaseImage("fake:1", disk, "raw", "sha256:" + "0".repeat(64), null, null, null);
    }

    @Override
    protected String sshPublicKey() {
        return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake fake";
    }

    @Override
    protected boolean bootsRealGuests() {
        return false;
    }

    /** State in {@code <vmDir>/fake.state}: CREATED or RUNNING; ports in {@code fake.ports}. */
    static final class FakeDriver implements HypervisorDriver {
        private final ProviderContext context;
        private final Map<Path, List<HostPort>> held = new ConcurrentHashMap<>();

        FakeDriver(ProviderContext context) {
            this.context = context;
        }

        @Override
        public String id() {
            return "fake";
        }

        @Override
        public Machine create(MachineSpec spec) throws VboxmcpException {
            Map<Integer, Integer> ports = new LinkedHashMap<>();
            List<HostPort> taken = new ArrayList<>();
            held.put(spec.vmDir(), taken);
            try {
                for (PortForward f : spec.plan().ports()) {
                    HostPort p = f.hostPort() == 0 ? context.hostPorts().allocate(f.hostAddress())
                            : context.hostPorts().reserve(f.hostAddress(), f.hostPort()).orElseThrow(() ->
                            new HypervisorException("host port " + f.hostPort() + " is already in use"));
                    taken.add(p);
                    ports.put(f.guestPort(), p.port());
                }
                context.seedWriter().write(new CloudInitSeed(spec.instanceId(), CloudInitSeed.hostname(
                        spec.plan().vmName()), spec.sshUser(), spec.sshPublicKey()), spec.vmDir().resolve("seed.iso"));
                StringBuilder b = new StringBuilder();
                ports.forEach((g, h) -> b.append(g).append('=').append(h).append('\n'));
                Files.writeString(spec.vmDir().resolve("fake.ports"), b);
                Files.writeString(spec.vmDir().resolve("fake.state"), "CREATED");
                spec.progress().onEvent(new ProgressEvent(ProgressEvent.Kind.STEP_FINISHED, spec.plan().vmName(),
                        "fake.create", "created", -1, -1, Duration.ZERO));
            } catch (IOException | VboxmcpException e) {
                destroy(spec.vmDir());
                throw e instanceof VboxmcpException v ? v : new HypervisorException(ErrorCode.IO, "fake create failed", e);
            }
            return new Machine(spec.plan().vmName(), id(), spec.vmDir(), "127.0.0.1", ports.get(22), ports, Map.of());
        }

        @Override
        public void start(Machine m) throws VboxmcpException {
            write(m, "RUNNING");
        }

        @Override
        public void stop(Machine m, Duration grace) throws VboxmcpException {
            if (Files.exists(m.vmDir().resolve("fake.state"))) {
                write(m, "CREATED");
            }
        }

        @Override
        public void destroy(Machine m) {
            destroy(m.vmDir());
        }

        private void destroy(Path vmDir) {
            held.getOrDefault(vmDir, List.of()).forEach(HostPort::close);
            held.remove(vmDir);
            try {
                for (String f : List.of("fake.state", "fake.ports", "seed.iso")) {
                    Files.deleteIfExists(vmDir.resolve(f));
                }
            } catch (IOException ignored) {
                // best effort, like a real driver
            }
        }

        @Override
        public VmState state(Machine m) throws VboxmcpException {
            Path f = m.vmDir().resolve("fake.state");
            try {
                return !Files.exists(f) ? VmState.DESTROYED
                        : Files.readString(f).equals("RUNNING") ? VmState.RUNNING : VmState.STOPPED;
            } catch (IOException e) {
                throw new HypervisorException(ErrorCode.IO, "fake state unreadable", e);
            }
        }

        @Override
        public Optional<Machine> find(String name, Path vmDir) throws VboxmcpException {
            Path f = vmDir.resolve("fake.ports");
            if (!Files.exists(f) || !vmDir.getFileName().toString().equals(name)) {
                return Optional.empty();
            }
            try {
                Map<Integer, Integer> ports = new LinkedHashMap<>();
                for (String l : Files.readAllLines(f)) {
                    String[] kv = l.split("=");
                    ports.put(Integer.parseInt(kv[0]), Integer.parseInt(kv[1]));
                }
                return Optional.of(new Machine(name, id(), vmDir, "127.0.0.1", ports.get(22), ports, Map.of()));
            } catch (IOException e) {
                throw new HypervisorException(ErrorCode.IO, "fake ports unreadable", e);
            }
        }

        @Override
        public String guestMountCommand(Machine machine, PlannedSharedFolder folder) {
            return "true";
        }

        private static void write(Machine m, String state) throws VboxmcpException {
            try {
                Files.writeString(m.vmDir().resolve("fake.state"), state);
            } catch (IOException e) {
                throw new HypervisorException(ErrorCode.IO, "fake write failed", e);
            }
        }
    }
}
