package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.HypervisorException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Picks free host ports. VirtualBox binds NAT rules only when the VM starts, so a port handed out here is
 * remembered until released, keeping two concurrent creates from getting the same one.
 */
public final class PortAllocator {
    private final Set<Integer> reserved = new HashSet<>();

    /** @return a port free on {@code address} now and not handed out before */
    public synchronized int allocate(String address) throws HypervisorException {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
                int port = s.getLocalPort();
                if (reserved.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                throw new HypervisorException("cannot find a free port on " + address + ": " + e.getMessage(), e);
            }
        }
        throw new HypervisorException("cannot find a free port on " + address);
    }

    /** Marks an explicitly requested port as taken. */
    public synchronized void reserve(int port) {
        reserved.add(port);
    }

    public synchronized void release(Iterable<Integer> ports) {
        ports.forEach(reserved::remove);
    }
}
