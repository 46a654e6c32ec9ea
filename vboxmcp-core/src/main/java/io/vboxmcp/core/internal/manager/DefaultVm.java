package io.vboxmcp.core.internal.manager;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.VmStateException;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;

import java.util.Map;

/** A VM handle; operations that change the VM hold its lock. */
final class DefaultVm implements Vm {
    private final DefaultVmManager manager;
    private final VmPlan plan;
    private final Machine machine;
    private final HypervisorDriver driver;
    private SshGuestChannel channel;
    private boolean destroyed;

    DefaultVm(DefaultVmManager manager, VmPlan plan, Machine machine, HypervisorDriver driver, SshGuestChannel channel) {
        this.manager = manager;
        this.plan = plan;
        this.machine = machine;
        this.driver = driver;
        this.channel = channel;
    }

    @Override
    public String name() {
        return plan.vmName();
    }

    @Override
    public VmPlan plan() {
        return plan;
    }

    Machine machine() {
        return machine;
    }

    @Override
    public synchronized VmState state() throws VboxmcpException {
        return destroyed ? VmState.DESTROYED : driver.state(machine);
    }

    @Override
    public Map<Integer, Integer> forwardedPorts() {
        return machine.ports();
    }

    @Override
    public SshEndpoint sshEndpoint() {
        return manager.endpoint(plan.vmName(), machine);
    }

    @Override
    public ExecResult exec(GuestCommand command) throws VboxmcpException {
        return guest().exec(command);
    }

    @Override
    public String consoleTail(int lines) {
        synchronized (this) {
            if (destroyed) {
                return "";
            }
        }
        String tail = driver.consoleTail(machine, Math.max(1, lines));
        return tail == null ? "" : tail;
    }

    private synchronized SshGuestChannel guest() throws VboxmcpException {
        if (destroyed) {
            throw new VmStateException(ErrorCode.VM_NOT_FOUND, "VM '" + name() + "' was destroyed", null);
        }
        if (channel == null) {
            channel = manager.connect(plan.vmName(), machine, java.time.Duration.ofSeconds(30));
        }
        return channel;
    }

    @Override
    public synchronized void stop() throws VboxmcpException {
        try (FileLocks.Held ignored = manager.store().lock(name())) {
            closeChannel();
            driver.stop(machine, manager.stopGrace());
            manager.saveState(this, VmState.STOPPED);
        }
    }

    @Override
    public synchronized void start() throws VboxmcpException {
        try (FileLocks.Held ignored = manager.store().lock(name())) {
            driver.start(machine);
            channel = manager.waitForGuest(plan.vmName(), machine, driver, manager.readyTimeout(null));
            manager.saveState(this, VmState.RUNNING);
        }
    }

    @Override
    public synchronized void destroy() throws VboxmcpException {
        if (destroyed) {
            return;
        }
        try (FileLocks.Held ignored = manager.store().lock(name())) {
            closeChannel();
            manager.destroyMachine(plan, machine, driver);
            destroyed = true;
        }
    }

    private void closeChannel() {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    @Override
    public void close() throws VboxmcpException {
        destroy();
    }

    @Override
    public String toString() {
        return "Vm[" + name() + " " + plan.template().coordinates() + " on " + driver.id() + "]";
    }
}
