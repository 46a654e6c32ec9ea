package io.vboxmcp.qemu.internal;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.HypervisorDriverFactory;
import io.vboxmcp.spi.ProviderContext;

import java.util.Optional;

/** Registers the QEMU driver ({@code qemu}, priority 100). */
public final class QemuDriverFactory implements HypervisorDriverFactory {
    @Override
    public String id() {
        return QemuDriver.ID;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Optional<String> unavailableReason(ProviderContext context) {
        QemuSettings s;
        try {
            s = QemuSettings.from(context);
        } catch (VboxmcpException e) {
            return Optional.of(e.getMessage());
        }
        for (String tool : new String[] {s.qemu(), s.qemuImg()}) {
            if (Files2.which(tool).isEmpty()) {
                return Optional.of(tool + " not found (install qemu-system-x86 and qemu-utils)");
            }
        }
        return Optional.empty();
    }

    @Override
    public HypervisorDriver create(ProviderContext context) throws VboxmcpException {
        return new QemuDriver(QemuSettings.from(context), context.hostPorts(), context.seedWriter());
    }
}
