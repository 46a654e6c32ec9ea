package io.vboxmcp.qemu.internal;

import io.vboxmcp.HypervisorException;
import io.vboxmcp.PortForward;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.HostPorts;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The host ports of one new machine, held from create until QEMU has bound them (or the machine is gone).
 *
 * @param ports        the forwards as recorded in {@code machine.json}, SSH (guest port 22) always among them
 * @param sshHost      the host address SSH is forwarded on
 * @param reservations what {@link #release()} gives back
 */
record ForwardedPorts(List<MachineRecord.Port> ports, String sshHost, List<HostPort> reservations) {

    /**
     * Reserves a host port for each planned forward (a free one where the plan says 0) and one for SSH if the plan
     * has none; on failure nothing stays reserved.
     */
    static ForwardedPorts reserve(HostPorts allocator, List<PortForward> planned) throws HypervisorException {
        List<PortForward> forwards = new ArrayList<>(planned);
        if (forwards.stream().noneMatch(p -> p.guestPort() == 22)) {
            forwards.add(0, new PortForward(22, 0, "127.0.0.1"));
        }
        List<HostPort> reservations = new ArrayList<>();
        List<MachineRecord.Port> ports = new ArrayList<>();
        Set<Integer> guestPorts = new LinkedHashSet<>();
        String sshHost = "127.0.0.1";
        try {
            for (PortForward f : forwards) {
                if (!guestPorts.add(f.guestPort())) {
                    continue;
                }
                HostPort r = f.hostPort() == 0 ? allocator.allocate(f.hostAddress())
                        : allocator.reserve(f.hostAddress(), f.hostPort()).orElseThrow(() -> new HypervisorException(
                                "host port " + f.hostAddress() + ":" + f.hostPort() + " (for guest port "
                                        + f.guestPort() + ") is already in use"));
                reservations.add(r);
                ports.add(new MachineRecord.Port(f.guestPort(), r.port(), f.hostAddress()));
                if (f.guestPort() == 22) {
                    sshHost = f.hostAddress();
                }
            }
        } catch (HypervisorException | RuntimeException e) {
            reservations.forEach(HostPort::close);
            throw e;
        }
        return new ForwardedPorts(List.copyOf(ports), sshHost, List.copyOf(reservations));
    }

    /** @return the host port forwarded to guest port 22 */
    int sshPort() {
        return ports.stream().filter(p -> p.guest() == 22).findFirst().orElseThrow().host();
    }

    void release() {
        reservations.forEach(HostPort::close);
    }
}
