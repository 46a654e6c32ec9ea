package io.vboxmcp.core.internal.manager;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Runs named steps, each of which may register an undo; on failure the undos run in reverse order (Packer's
 * multistep cleanup), even when the thread was interrupted, and failed undos are attached to the error.
 */
final class Saga {
    @FunctionalInterface
    interface Body<T> {
        T run() throws Exception;
    }

    @FunctionalInterface
    interface Undo {
        void run() throws Exception;
    }

    private record Entry(String what, Undo undo) { }

    private final Deque<Entry> undos = new ArrayDeque<>();
    private final ProgressListener progress;
    private final String vmName;
    private final List<String> orphans = new ArrayList<>();
    private String currentStep = "start";

    Saga(ProgressListener progress, String vmName) {
        this.progress = progress;
        this.vmName = vmName;
    }

    String currentStep() {
        return currentStep;
    }

    /** Runs one step of the create pipeline. */
    <T> T step(CreateStep step, Body<T> body) throws VboxmcpException {
        return step(step.id(), body);
    }

    /** Runs one step of the create pipeline that returns nothing. */
    void run(CreateStep step, Undoable body) throws VboxmcpException {
        run(step.id(), body);
    }

    <T> T step(String name, Body<T> body) throws VboxmcpException {
        currentStep = name;
        long start = System.nanoTime();
        emit(ProgressEvent.Kind.STEP_STARTED, name, name, start);
        try {
            if (Thread.currentThread().isInterrupted()) {
                throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted before step '" + name + "'");
            }
            T out = body.run();
            emit(ProgressEvent.Kind.STEP_FINISHED, name, name + " done", start);
            return out;
        } catch (VboxmcpException e) {
            emit(ProgressEvent.Kind.STEP_FAILED, name, e.getMessage(), start);
            throw e.inStep(name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            emit(ProgressEvent.Kind.STEP_FAILED, name, "interrupted", start);
            throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted", e).inStep(name);
        } catch (Exception | LinkageError | AssertionError e) {
            emit(ProgressEvent.Kind.STEP_FAILED, name, String.valueOf(e), start);
            throw new VboxmcpException(ErrorCode.INTERNAL, "unexpected " + e, e).inStep(name);
        }
    }

    void run(String name, Undoable body) throws VboxmcpException {
        step(name, () -> {
            body.run();
            return null;
        });
    }

    @FunctionalInterface
    interface Undoable {
        void run() throws Exception;
    }

    void onUndo(String what, Undo undo) {
        undos.push(new Entry(what, undo));
    }

    /** Forgets every undo: the work is committed. */
    void commit() {
        undos.clear();
    }

    /**
     * Runs every registered undo in reverse order. Interrupts are cleared while undoing and restored afterwards.
     *
     * @param failure the error that caused the rollback; failed undos are added as suppressed exceptions
     * @return descriptions of resources whose undo failed (orphans), empty if all were released
     */
    List<String> rollback(Throwable failure) {
        boolean interrupted = Thread.interrupted();
        long start = System.nanoTime();
        emit(ProgressEvent.Kind.STEP_STARTED, "rollback", "undoing " + undos.size() + " steps", start);
        try {
            while (!undos.isEmpty()) {
                Entry e = undos.pop();
                try {
                    e.undo().run();
                } catch (Exception | LinkageError ex) {
                    orphans.add(e.what());
                    VboxmcpException wrapped = new VboxmcpException(ErrorCode.INTERNAL, "cleanup '" + e.what()
                            + "' failed: " + ex.getMessage(), ex);
                    failure.addSuppressed(wrapped);
                }
            }
        } finally {
            emit(orphans.isEmpty() ? ProgressEvent.Kind.STEP_FINISHED : ProgressEvent.Kind.STEP_FAILED, "rollback",
                    orphans.isEmpty() ? "rolled back" : "could not release: " + orphans, start);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return List.copyOf(orphans);
    }

    private void emit(ProgressEvent.Kind kind, String step, String message, long start) {
        try {
            progress.onEvent(new ProgressEvent(kind, vmName, step, message, -1, -1, Duration.ofNanos(System.nanoTime() - start)));
        } catch (RuntimeException ignored) {
            // a misbehaving listener must not break creation or cleanup
        }
    }
}
