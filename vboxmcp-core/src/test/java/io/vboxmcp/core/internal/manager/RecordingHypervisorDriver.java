package io.vboxmcp.core.internal.manager;

import io.vboxmcp.HypervisorException;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmState;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.HypervisorDriverFactory;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.ProviderContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A driver for pipeline tests: records calls, keeps the set of machines that exist, and fails on demand at
 * {@code create} or {@code start}. Its machines' SSH port is a stub SSH server run by the test.
 */
final class RecordingHypervisorDriver implements HypervisorDriver {
    final Map<String, VmState> live = new ConcurrentHashMap<>();
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    volatile String failAt;
    volatile int sshPort;
    volatile MachineSpec lastSpec;

    @Override
    public String id() {
        return "recording";
    }

    @Override
    public Machine create(MachineSpec spec) throws VboxmcpException {
        calls.add("create " + spec.plan().vmName());
        lastSpec = spec;
        if ("create".equals(failAt)) {
            throw new HypervisorException("injected failure at create");
        }
        live.put(spec.plan().vmName(), VmState.STOPPED);
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        int next = 40000;
        for (PortForward p : spec.plan().ports()) {
            if (p.guestPort() != 22) {
                ports.put(p.guestPort(), next++);
            }
        }
        return new Machine(spec.plan().vmName(), id(), spec.vmDir(), "127.0.0.1", sshPort, ports, Map.of("k", "v"));
    }

    @Override
    public void start(Machine m) throws VboxmcpException {
        calls.add("start " + m.name());
        if ("start".equals(failAt)) {
            throw new HypervisorException("injected failure at start: host port taken");
        }
        live.put(m.name(), VmState.RUNNING);
    }

    @Override
    public void stop(Machine m, Duration grace) {
        calls.add("stop " + m.name());
        live.computeIfPresent(m.name(), (k, v) -> VmState.STOPPED);
    }

    @Override
    public void destroy(Machine m) throws VboxmcpException {
        calls.add("destroy " + m.name());
        if ("destroy".equals(failAt)) {
            throw new HypervisorException("injected failure at destroy");
        }
        live.remove(m.name());
    }

    @Override
    public VmState state(Machine m) {
        return live.getOrDefault(m.name(), VmState.DESTROYED);
    }

    @Override
    public Optional<Machine> find(String name, Path vmDir) {
        return Optional.empty();
    }

    @Override
    public String guestMountCommand(Machine machine, PlannedSharedFolder folder) {
        return "mount-stub " + folder.name();
    }

    HypervisorDriverFactory factory() {
        RecordingHypervisorDriver self = this;
        return new HypervisorDriverFactory() {
            @Override
            public String id() {
                return "recording";
            }

            @Override
            public int priority() {
                return 1000;
            }

            @Override
            public Optional<String> unavailableReason(ProviderContext context) {
                return Optional.empty();
            }

            @Override
            public HypervisorDriver create(ProviderContext context) {
                return self;
            }
        };
    }
}
