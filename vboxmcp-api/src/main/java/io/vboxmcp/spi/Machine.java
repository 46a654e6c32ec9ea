package io.vboxmcp.spi;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A machine a driver created. Immutable; the driver persists what it needs under {@link #vmDir()} so that
 * {@link HypervisorDriver#find} can rebuild the handle in another process.
 *
 * @param name       VM name, never null
 * @param driverId   never null
 * @param vmDir      never null
 * @param sshHost    host address the guest's SSH is forwarded to, never null
 * @param sshPort    host port forwarded to guest port 22
 * @param ports      guest port to host port for every template port, never null
 * @param attributes driver-specific values (for example the VirtualBox UUID), never null
 *
 * @since 0.2.0
 */
public record Machine(String name, String driverId, Path vmDir, String sshHost, int sshPort, Map<Integer, Integer> ports,
                      Map<String, String> attributes) {
    /**
     * Checks the required components and copies the maps.
     *
     * @param name       VM name, never null
     * @param driverId   never null
     * @param vmDir      never null
     * @param sshHost    host address the guest's SSH is forwarded to, never null
     * @param sshPort    host port forwarded to guest port 22
     * @param ports      guest port to host port for every template port, never null
     * @param attributes driver-specific values (for example the VirtualBox UUID), never null
     */
    public Machine {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(driverId, "driverId");
        Objects.requireNonNull(vmDir, "vmDir");
        Objects.requireNonNull(sshHost, "sshHost");
        ports = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(ports));
        attributes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }
}
