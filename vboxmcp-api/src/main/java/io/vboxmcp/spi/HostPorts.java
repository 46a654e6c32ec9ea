package io.vboxmcp.spi;

import io.vboxmcp.HypervisorException;

import java.util.Optional;

/**
 * Hands out host ports for a driver's port forwards: one rule for every driver. A port is handed out only if it
 * binds on the address now, no other VM of this JVM holds it and no other process holds it (a lock file per port
 * in a folder shared by every process of the user), so two creates in two processes never get the same port. A
 * program that is not vboxmcp and binds the port after the check is caught by the driver's start (a typed error).
 * Implemented by core, offered through {@link ProviderContext#hostPorts()}; thread-safe.
 *
 * @since 0.2.0
 */
public interface HostPorts {
    /**
     * Finds and holds a free port.
     *
     * @param address the host address to bind on, never null
     * @return the held port, never null
     * @throws HypervisorException if no free port was found after a bounded number of attempts
     */
    HostPort allocate(String address) throws HypervisorException;

    /**
     * Holds a port the template or the caller asked for.
     *
     * @param address the host address, never null
     * @param port    1-65535
     * @return empty if the port is taken (by another program, VM or process)
     * @throws HypervisorException if the lock folder cannot be used
     */
    Optional<HostPort> reserve(String address, int port) throws HypervisorException;
}
