package io.vboxmcp.spi;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmManagerConfig;

/**
 * Creates the {@link VmManager} implementation; {@code vboxmcp-core} registers one through
 * {@code META-INF/services}. Found by {@link io.vboxmcp.VmManager.Builder#build()}.
 *
 * @since 0.2.0
 */
public interface VmManagerFactory {
    /** @return higher wins if several implementations are on the class path */
    default int priority() {
        return 0;
    }

    /**
     * @param config never null
     * @return a new manager, never null
     * @throws VboxmcpException if the provider cannot start (reported as a provider problem, never fatal)
     */
    VmManager create(VmManagerConfig config) throws VboxmcpException;
}
