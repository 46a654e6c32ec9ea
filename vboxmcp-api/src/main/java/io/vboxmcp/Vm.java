package io.vboxmcp;

import java.util.Map;
import java.util.OptionalInt;

/**
 * A handle on a VM created by a {@link VmManager}. Thread-safe.
 *
 * <p>{@link #close()} destroys the VM, like a Testcontainers container: use try-with-resources for throw-away
 * VMs; keep the handle (or find it again with {@link VmManager#vm(String)}) for long-lived ones.
 *
 * @since 0.2.0
 */
public interface Vm extends AutoCloseable {
    /** @return the VM's name, never null */
    String name();

    /** @return the plan the VM was created from, never null */
    VmPlan plan();

    /**
     * @return the current state as the driver reports it, never null
     * @throws VboxmcpException if the hypervisor cannot be asked
     */
    VmState state() throws VboxmcpException;

    /** @return guest port to host port on {@code 127.0.0.1}, for every forwarded template port, never null */
    Map<Integer, Integer> forwardedPorts();

    /**
     * @param guestPort a guest TCP port the template forwards
     * @return the host port forwarded to {@code guestPort}, empty if it is not forwarded
     */
    default OptionalInt hostPort(int guestPort) {
        Integer p = forwardedPorts().get(guestPort);
        return p == null ? OptionalInt.empty() : OptionalInt.of(p);
    }

    /** @return how to reach the guest over SSH, never null */
    SshEndpoint sshEndpoint();

    /**
     * Runs a command in the guest.
     *
     * @param command never null
     * @return the result, also for non-zero exit codes, never null
     * @throws VboxmcpException if the guest cannot be reached
     */
    ExecResult exec(GuestCommand command) throws VboxmcpException;

    /**
     * Runs {@code command} as the login user with the default timeout.
     *
     * @param command the shell command line, run by {@code /bin/sh -c} as the login user
     * @return what the command returned, never null
     * @throws VboxmcpException if the guest cannot be reached
     */
    default ExecResult exec(String command) throws VboxmcpException {
        return exec(GuestCommand.of(command));
    }

    /**
     * The guest's console (serial) output, for diagnostics and for waiting on a log line: the boot messages and
     * whatever the guest writes to its console later.
     *
     * @param lines how many of the last lines, at least 1
     * @return the last {@code lines} lines the guest printed on its console, empty if the driver keeps no console
     *         log or the VM was destroyed; never null
     */
    default String consoleTail(int lines) {
        return "";
    }

    /**
     * Shuts the guest down gracefully, forcing power off after a timeout. Idempotent.
     *
     * @throws VboxmcpException if the VM cannot be stopped
     */
    void stop() throws VboxmcpException;

    /**
     * Starts a stopped VM and waits for the guest.
     *
     * @throws VboxmcpException if the VM cannot be started
     */
    void start() throws VboxmcpException;

    /**
     * Stops the VM if needed and removes every process, disk, port and file it had. Idempotent.
     *
     * @throws VboxmcpException if something of the VM could not be removed (the rest is removed)
     */
    void destroy() throws VboxmcpException;

    /** Destroys the VM; see the type comment. Idempotent. */
    @Override
    void close() throws VboxmcpException;
}
