package io.vboxmcp.libvirt.internal;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.HypervisorDriverFactory;
import io.vboxmcp.spi.ProviderContext;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
        // only the client is checked: connecting (an SSH login for qemu+ssh://) on every manager start would cost
        // more than "a few seconds" on a slow link; an unreachable daemon is a typed error of the first create
        if (!onPath(s.virsh())) {
            return Optional.of(s.virsh() + " not found (install libvirt-clients)");
        }
        return Optional.empty();
    }

    static boolean onPath(String cmd) {
        if (cmd.contains("/")) {
            return Files.isExecutable(Path.of(cmd));
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        return Arrays.stream(path.split(File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, cmd)));
    }

    @Override
    public HypervisorDriver create(ProviderContext context) throws VboxmcpException {
        return new LibvirtDriver(LibvirtSettings.from(context), context.hostPorts(), context.seedWriter());
    }
}
