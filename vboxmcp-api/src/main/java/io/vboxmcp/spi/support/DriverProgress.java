package io.vboxmcp.spi.support;

import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;

import java.time.Duration;
import java.util.Objects;

/**
 * The progress events of one driver step ({@code qemu.create}, {@code libvirt.start}, ...), each with the time since
 * the step began. A listener that throws never breaks the driver: its exception is dropped. Not thread-safe; one
 * instance per step.
 *
 * @since 0.3.0
 */
public final class DriverProgress {
    private final ProgressListener listener;
    private final String vmName;
    private final String step;
    private final long t0 = System.nanoTime();

    /**
     * Starts the step's clock.
     *
     * @param listener where the events go, never null
     * @param vmName   the VM the step works on, never null
     * @param step     the step's name as events carry it, {@code <driver id>.<verb>} by convention, never null
     */
    public DriverProgress(ProgressListener listener, String vmName, String step) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.vmName = Objects.requireNonNull(vmName, "vmName");
        this.step = Objects.requireNonNull(step, "step");
    }

    /**
     * Reports that the step began.
     *
     * @param message what the step does, may be null
     */
    public void started(String message) {
        emit(ProgressEvent.Kind.STEP_STARTED, message);
    }

    /**
     * Reports something the step did on its way.
     *
     * @param message what happened, may be null
     */
    public void info(String message) {
        emit(ProgressEvent.Kind.INFO, message);
    }

    /**
     * Reports that the step ended well.
     *
     * @param message its result, may be null
     */
    public void finished(String message) {
        emit(ProgressEvent.Kind.STEP_FINISHED, message);
    }

    /**
     * Reports that the step failed.
     *
     * @param message why; null is reported as {@code failed}
     */
    public void failed(String message) {
        emit(ProgressEvent.Kind.STEP_FAILED, message == null ? "failed" : message);
    }

    private void emit(ProgressEvent.Kind kind, String message) {
        try {
            listener.onEvent(new ProgressEvent(kind, vmName, step, message, -1, -1,
                    Duration.ofNanos(System.nanoTime() - t0)));
        } catch (RuntimeException ignored) {
            // a listener must not break the driver
        }
    }
}
