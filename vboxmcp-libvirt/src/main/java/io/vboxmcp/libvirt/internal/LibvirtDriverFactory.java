package io.vboxmcp.libvirt.internal;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.HypervisorDriverFactory;
import io.vboxmcp.spi.ProviderContext;

import java.util.Optional;

/**
 * Registers the libvirt driver ({@code libvirt}, priority 50: below QEMU, so a host with both keeps running VMs
 * itself unless a request or the configuration names {@code libvirt}).
 */
public final class LibvirtDriverFactory implements HypervisorDriverFactory {
    @Override
    public String id() {
        return LibvirtDriver.ID;
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public Optional<String> unavailableReason(ProviderContext context) {
        LibvirtSettings s;
        try {
            s = LibvirtSettings.from(context);
        } catch (VboxmcpException e) {
            return Optional.of(e.getMessage());
        }
        if (!NoCloudSeed.onPath(s.virsh())) {
            return Optional.of(s.virsh() + " not found (install libvirt-clients)");
        }
        if (!NoCloudSeed.onPath(s.isoTool())) {
            return Optional.of(s.isoTool() + " not found (install genisoimage)");
        }
        try {
            // bounded by the settings' timeout; a refused connection answers at once
            new Virsh(s).run("connect", java.time.Duration.ofSeconds(5), "uri");
            return Optional.empty();
        } catch (VboxmcpException e) {
            return Optional.of(e.getMessage());
        }
    }

    @Override
    public HypervisorDriver create(ProviderContext context) throws VboxmcpException {
        return new LibvirtDriver(LibvirtSettings.from(context));
    }
}
