package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;

import java.time.Duration;

/** Progress events of one driver step ({@code libvirt.create}, {@code libvirt.start}), with elapsed time. */
final class ProgressStep {
    private final ProgressListener listener;
    private final String vm;
    private final String step;
    private final long t0 = System.nanoTime();

    ProgressStep(ProgressListener listener, String vm, String name) {
        this.listener = listener;
        this.vm = vm;
        this.step = "libvirt." + name;
    }

    void started(String msg) {
        emit(ProgressEvent.Kind.STEP_STARTED, msg);
    }

    void info(String msg) {
        emit(ProgressEvent.Kind.INFO, msg);
    }

    void finished(String msg) {
        emit(ProgressEvent.Kind.STEP_FINISHED, msg);
    }

    void failed(String msg) {
        emit(ProgressEvent.Kind.STEP_FAILED, msg == null ? "failed" : msg);
    }

    private void emit(ProgressEvent.Kind kind, String msg) {
        try {
            listener.onEvent(new ProgressEvent(kind, vm, step, msg, -1, -1, Duration.ofNanos(System.nanoTime() - t0)));
        } catch (RuntimeException ignored) {
            // a listener must not break the driver
        }
    }
}
