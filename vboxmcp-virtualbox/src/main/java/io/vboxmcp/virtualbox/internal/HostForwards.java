package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.HypervisorException;
import io.vboxmcp.PortForward;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.HostPorts;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The NAT port forwards of one machine, chosen when it is created or restored: the guest's SSH port always, then the
 * plan's ports, each on a host port allocated (port 0) or reserved (an explicit one) from the provider context, held
 * until VirtualBox binds it at start.
 *
 * @param forwarded guest port to host port
 * @param rules     the {@code --natpf1} rules
 * @param held      the host ports held until start or destroy
 * @param sshHost   the host address SSH is forwarded on
 */
record HostForwards(Map<Integer, Integer> forwarded, List<NatRule> rules, List<HostPort> held, String sshHost) {

    /** Fails before anything is made if an explicit host port is taken. */
    static void requireExplicitFree(List<PortForward> planned) throws HypervisorException {
        for (PortForward p : planned) {
            if (p.hostPort() != 0) {
                requireFree(p.hostAddress(), p.hostPort());
            }
        }
    }

    /** @return the forwards of {@code planned} plus SSH; nothing is held if this fails */
    static HostForwards allocate(HostPorts ports, List<PortForward> planned) throws VboxmcpException {
        Map<Integer, Integer> forwarded = new LinkedHashMap<>();
        List<NatRule> rules = new ArrayList<>();
        List<HostPort> held = new ArrayList<>();
        List<PortForward> wanted = new ArrayList<>(planned);
        if (wanted.stream().noneMatch(p -> p.guestPort() == 22)) {
            wanted.add(0, new PortForward(22, 0, "127.0.0.1"));
        }
        String sshHost = "127.0.0.1";
        try {
            for (PortForward p : wanted) {
                if (forwarded.containsKey(p.guestPort())) {
                    continue;
                }
                HostPort hp = p.hostPort() == 0 ? ports.allocate(p.hostAddress())
                        : ports.reserve(p.hostAddress(), p.hostPort())
                        .orElseThrow(() -> inUse(p.hostAddress(), p.hostPort(), null));
                held.add(hp);
                forwarded.put(p.guestPort(), hp.port());
                if (p.guestPort() == 22) {
                    sshHost = p.hostAddress();
                }
                rules.add(new NatRule(1, p.guestPort() == 22 ? "ssh" : "tcp" + p.guestPort(), "tcp", p.hostAddress(),
                        hp.port(), "", p.guestPort()));
            }
        } catch (VboxmcpException | RuntimeException e) {
            held.forEach(HostPort::close);
            throw e;
        }
        return new HostForwards(forwarded, rules, held, sshHost);
    }

    int sshPort() {
        return forwarded.get(22);
    }

    void close() {
        held.forEach(HostPort::close);
    }

    /**
     * VirtualBox starts a VM even when a NAT rule's host port is taken (it only logs the failed redirection), so
     * the driver checks the ports itself where the caller can still act on it.
     */
    static void requireFree(String address, int port) throws HypervisorException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getByName(address), port));
        } catch (IOException e) {
            throw inUse(address, port, e);
        }
    }

    static HypervisorException inUse(String address, int port, IOException cause) {
        return new HypervisorException("host port " + port + " on " + address + " is already in use, so VirtualBox "
                + "could not forward it to the guest; free the port or let vboxmcp choose one (host port 0)", cause);
    }
}
