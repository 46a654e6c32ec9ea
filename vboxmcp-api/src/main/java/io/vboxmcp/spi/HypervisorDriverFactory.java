package io.vboxmcp.spi;

import io.vboxmcp.VboxmcpException;

import java.util.Optional;

/**
 * Creates a {@link HypervisorDriver}; registered through {@code META-INF/services}. The manager picks the
 * available factory with the highest priority unless the request names a driver.
 *
 * @since 0.2.0
 */
public interface HypervisorDriverFactory {
    /** @return the driver id ({@code qemu}, {@code virtualbox}), never null */
    String id();

    /** @return higher is preferred */
    int priority();

    /**
     * Probes the host quickly (a few seconds at most).
     *
     * @param context never null
     * @return empty if the driver can run here, else the reason it cannot (for example "VBoxManage not found")
     */
    Optional<String> unavailableReason(ProviderContext context);

    /**
     * @param context never null
     * @return a driver, never null
     * @throws io.vboxmcp.HypervisorException if the driver cannot start
     */
    HypervisorDriver create(ProviderContext context) throws VboxmcpException;
}
