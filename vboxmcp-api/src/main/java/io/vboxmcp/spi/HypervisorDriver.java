package io.vboxmcp.spi;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmState;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Creates and runs machines on one hypervisor. Thread-safe; calls for one machine are serialised by the
 * manager. Every method that changes state is idempotent in its "already done" case, and {@link #destroy} must
 * clean up a machine in any state, including half-created ones.
 *
 * <p>The manager calls {@link #create} then {@link #start}; on any later failure it calls {@link #destroy}.
 * Guest readiness and provisioning are the manager's: the driver only forwards the guest's SSH port.
 *
 * @since 0.2.0
 */
public interface HypervisorDriver extends AutoCloseable {
    /** @return the driver id, never null */
    String id();

    /**
     * Creates the machine (disk, configuration, port forwards, shared folders, cloud-init seed) without starting it.
     * Host ports are allocated here, without collisions between concurrent creates.
     *
     * @param spec never null
     * @return the machine, never null
     * @throws io.vboxmcp.HypervisorException if creation failed; whatever was created is removed first
     */
    Machine create(MachineSpec spec) throws VboxmcpException;

    /**
     * Starts the machine and returns once the hypervisor runs it (not when the guest is ready).
     *
     * @param machine a machine this driver created, never null
     * @throws io.vboxmcp.HypervisorException if it did not start (for example a host port was taken)
     */
    void start(Machine machine) throws VboxmcpException;

    /**
     * Asks the guest to power down, waits up to {@code grace}, then forces power off. Idempotent.
     *
     * @param machine a machine this driver created, never null
     * @param grace   how long the guest may take to power down by itself, never null
     * @throws VboxmcpException if the machine cannot be stopped
     */
    void stop(Machine machine, Duration grace) throws VboxmcpException;

    /**
     * Removes the machine: process, disks, sockets, registrations, port forwards. Idempotent.
     *
     * @param machine a machine this driver created, never null
     * @throws VboxmcpException if something of the machine could not be removed
     */
    void destroy(Machine machine) throws VboxmcpException;

    /**
     * @param machine a machine this driver created, never null
     * @return the machine's state, never null
     * @throws VboxmcpException if the hypervisor cannot be asked
     */
    VmState state(Machine machine) throws VboxmcpException;

    /**
     * Rebuilds the handle of a machine this driver created earlier (possibly in another process).
     *
     * @param name  never null
     * @param vmDir never null
     * @return the machine if the driver's state for it exists
     * @throws VboxmcpException if the driver's state exists but cannot be read
     */
    Optional<Machine> find(String name, Path vmDir) throws VboxmcpException;

    /**
     * The shell command, run as root in the guest, that mounts a shared folder the driver attached
     * (QEMU: a 9p mount of the share's tag; VirtualBox: a vboxsf mount). It must honour {@code folder.readOnly()}.
     *
     * @param machine never null
     * @param folder  one of the plan's shared folders, never null
     * @return the command, never null
     */
    String guestMountCommand(Machine machine, io.vboxmcp.PlannedSharedFolder folder);

    /**
     * @return the driver's ready-snapshot support (save a provisioned machine, restore clones of it), or empty if
     *         the driver cannot snapshot; the manager then always creates cold
     */
    default Optional<ReadySnapshotSupport> readySnapshots() {
        return Optional.empty();
    }

    /**
     * The guest's console output.
     *
     * @param machine a machine this driver created, never null
     * @param lines   how many lines at most
     * @return the last lines the guest printed on its console, for error messages; empty if unknown
     */
    default String consoleTail(Machine machine, int lines) {
        return "";
    }

    @Override
    default void close() throws VboxmcpException {
    }
}
