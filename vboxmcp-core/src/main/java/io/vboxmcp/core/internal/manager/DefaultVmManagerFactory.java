package io.vboxmcp.core.internal.manager;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmManagerConfig;
import io.vboxmcp.spi.VmManagerFactory;

/** Registered in {@code META-INF/services/io.vboxmcp.spi.VmManagerFactory}. */
public final class DefaultVmManagerFactory implements VmManagerFactory {
    @Override
    public VmManager create(VmManagerConfig config) throws VboxmcpException {
        return ManagerAssembly.assemble(config);
    }
}
