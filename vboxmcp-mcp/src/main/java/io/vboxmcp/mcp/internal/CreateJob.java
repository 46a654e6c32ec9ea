package io.vboxmcp.mcp.internal;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;

/**
 * One create on its own thread, so that it can be cancelled: {@link #cancel()} interrupts it (the manager's saga
 * then undoes every step already done) and {@link #await()} returns only once that rollback has finished, so a
 * cancelled create's answer means "nothing is left". A create that finished just as it was cancelled is destroyed.
 */
final class CreateJob {
    private final Thread thread;
    private volatile boolean cancelled;
    private Vm vm;
    private VboxmcpException error;
    private RuntimeException bug;

    CreateJob(VmManager manager, CreateVmRequest request) {
        this.thread = new Thread(() -> run(manager, request), "vboxmcp-mcp-create-" + request.vmName());
        thread.setDaemon(true);
    }

    CreateJob start() {
        thread.start();
        return this;
    }

    private void run(VmManager manager, CreateVmRequest request) {
        try {
            Vm created = manager.createFromTemplate(request);
            if (cancelled) {
                created.destroy();
                throw new VboxmcpException(ErrorCode.CANCELLED, "cancelled");
            }
            vm = created;
        } catch (VboxmcpException e) {
            error = e;
        } catch (RuntimeException e) {
            bug = e;
        }
    }

    /** Interrupts the create; idempotent. */
    void cancel() {
        cancelled = true;
        thread.interrupt();
    }

    boolean cancelled() {
        return cancelled;
    }

    /**
     * Waits for the create (or its rollback) to end; an interrupt of the waiting thread cancels the create and still
     * waits for the rollback.
     *
     * @return the VM
     * @throws VboxmcpException the create's error, or {@link ErrorCode#CANCELLED}
     */
    Vm await() throws VboxmcpException {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
                cancel();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (cancelled) {
            if (vm != null) {
                // the cancel came after the create had finished: undo it here
                vm.destroy();
                vm = null;
            }
            String name = thread.getName().substring("vboxmcp-mcp-create-".length());
            if (error != null && error.getSuppressed().length > 0) {
                StringBuilder left = new StringBuilder();
                for (Throwable t : error.getSuppressed()) {
                    left.append("; ").append(t.getMessage());
                }
                throw new VboxmcpException(ErrorCode.CANCELLED, "the create of '" + name + "' was cancelled, but not"
                        + " everything could be undone" + left, error);
            }
            throw new VboxmcpException(ErrorCode.CANCELLED, "the create of '" + name + "' was cancelled; every step it"
                    + " had done was undone");
        }
        if (bug != null) {
            throw bug;
        }
        if (error != null) {
            throw error;
        }
        return vm;
    }
}
