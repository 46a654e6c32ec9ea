package io.vboxmcp.spi.support;

import io.vboxmcp.HypervisorException;
import io.vboxmcp.PortForward;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.HostPorts;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host ports of one new machine's forwards, held through {@link HostPorts} from the driver's {@code create}
 * until the hypervisor binds them itself at {@code start} (or the machine is gone): then {@link #close()} hands
 * them back. SSH (guest port 22) is always among the forwards, on a free port of {@code 127.0.0.1} if the plan has
 * none; a guest port planned twice is forwarded once (the first wins). Thread-safe once made.
 *
 * @since 0.3.0
 */
public final class ForwardedPorts implements AutoCloseable {
    private final List<PortForward> forwards;
    private final List<HostPort> held;

    private ForwardedPorts(List<PortForward> forwards, List<HostPort> held) {
        this.forwards = forwards;
        this.held = held;
    }

    /**
     * Holds a host port for each planned forward: a free one where the plan says 0, else the planned one.
     *
     * @param allocator the provider context's {@link HostPorts}, never null
     * @param planned   the plan's forwards, never null
     * @return the held ports, never null
     * @throws HypervisorException if a planned fixed port is taken (the message names it) or no free port is found;
     *                             then nothing stays held
     */
    public static ForwardedPorts reserve(HostPorts allocator, List<PortForward> planned) throws HypervisorException {
        List<PortForward> wanted = new ArrayList<>(planned);
        if (wanted.stream().noneMatch(p -> p.guestPort() == 22)) {
            wanted.add(0, new PortForward(22, 0, "127.0.0.1"));
        }
        Map<Integer, PortForward> forwards = new LinkedHashMap<>();
        List<HostPort> held = new ArrayList<>();
        try {
            for (PortForward f : wanted) {
                if (forwards.containsKey(f.guestPort())) {
                    continue;
                }
                HostPort p = f.hostPort() == 0 ? allocator.allocate(f.hostAddress())
                        : allocator.reserve(f.hostAddress(), f.hostPort()).orElseThrow(() -> new HypervisorException(
                                "host port " + f.hostAddress() + ":" + f.hostPort() + " (for guest port "
                                        + f.guestPort() + ") is already in use"));
                held.add(p);
                forwards.put(f.guestPort(), new PortForward(f.guestPort(), p.port(), f.hostAddress()));
            }
        } catch (HypervisorException | RuntimeException e) {
            held.forEach(HostPort::close);
            throw e;
        }
        return new ForwardedPorts(List.copyOf(forwards.values()), List.copyOf(held));
    }

    /** @return every forward with its held host port, in plan order (SSH first if the plan had none), never null */
    public List<PortForward> forwards() {
        return forwards;
    }

    /** @return guest port to held host port, in the order of {@link #forwards()}, never null */
    public Map<Integer, Integer> ports() {
        Map<Integer, Integer> m = new LinkedHashMap<>();
        forwards.forEach(f -> m.put(f.guestPort(), f.hostPort()));
        return Collections.unmodifiableMap(m);
    }

    /** @return the host address guest port 22 is forwarded on, never null */
    public String sshHost() {
        return ssh().hostAddress();
    }

    /** @return the host port forwarded to guest port 22 */
    public int sshPort() {
        return ssh().hostPort();
    }

    private PortForward ssh() {
        return forwards.stream().filter(f -> f.guestPort() == 22).findFirst().orElseThrow();
    }

    /** Hands the held ports back (idempotent): the hypervisor is about to bind them, or the machine is gone. */
    @Override
    public void close() {
        held.forEach(HostPort::close);
    }
}
