package io.vboxmcp.libvirt.internal;

import io.vboxmcp.HypervisorException;
import io.vboxmcp.PortForward;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.HostPorts;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host ports of one new machine, held through the provider context's {@link HostPorts} (one rule for every
 * driver) from create until libvirt's QEMU binds them at start, or the machine is destroyed. For a remote libvirt
 * host the check is only meaningful when that host is this one (loopback): the forwards bind on the libvirt host.
 */
final class Forwards implements AutoCloseable {
    /** guest port to host port, SSH (22) first */
    private final Map<Integer, Integer> ports;
    private final String sshAddress;
    private final List<HostPort> held;

    private Forwards(Map<Integer, Integer> ports, String sshAddress, List<HostPort> held) {
        this.ports = ports;
        this.sshAddress = sshAddress;
        this.held = held;
    }

    /** Holds a port for each planned forward (a free one where the plan says 0) and for SSH; on failure, none. */
    static Forwards reserve(HostPorts allocator, List<PortForward> planned) throws HypervisorException {
        List<PortForward> forwards = new ArrayList<>(planned);
        if (forwards.stream().noneMatch(p -> p.guestPort() == 22)) {
            forwards.add(0, new PortForward(22, 0, "127.0.0.1"));
        }
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        List<HostPort> held = new ArrayList<>();
        String sshAddress = "127.0.0.1";
        try {
            for (PortForward f : forwards) {
                if (ports.containsKey(f.guestPort())) {
                    continue;
                }
                HostPort p = f.hostPort() == 0 ? allocator.allocate(f.hostAddress())
                        : allocator.reserve(f.hostAddress(), f.hostPort()).orElseThrow(() -> new HypervisorException(
                                "host port " + f.hostAddress() + ":" + f.hostPort() + " (for guest port " + f.guestPort()
                                        + ") is already in use"));
                held.add(p);
                ports.put(f.guestPort(), p.port());
                if (f.guestPort() == 22) {
                    sshAddress = f.hostAddress();
                }
            }
        } catch (HypervisorException | RuntimeException e) {
            held.forEach(HostPort::close);
            throw e;
        }
        return new Forwards(ports, sshAddress, held);
    }

    Map<Integer, Integer> ports() {
        return ports;
    }

    String sshAddress() {
        return sshAddress;
    }

    @Override
    public void close() {
        held.forEach(HostPort::close);
    }
}
