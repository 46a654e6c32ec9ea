package io.vboxmcp.core.internal.util;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Bounds a blocking read loop in time: if no byte arrives for {@code idle}, or the whole transfer takes longer than
 * {@code total}, the stream is closed from a timer thread, which makes the blocked read throw (the JDK HTTP client's
 * body stream and sockets both do). The JDK HTTP client has no read timeout of its own, so a server that stalls
 * after the headers, or drips a byte every few seconds, would otherwise hold a caller forever.
 *
 * <pre>{@code
 * try (ReadWatchdog dog = ReadWatchdog.start(in, idle, total)) {
 *     while ((n = in.read(buf)) >= 0) { dog.progress(); ... }
 * } catch (IOException e) { dog.expiry().ifPresent(...) }
 * }</pre>
 */
public final class ReadWatchdog implements AutoCloseable {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vboxmcp-read-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    private final AtomicReference<String> expired = new AtomicReference<>();
    private final ScheduledFuture<?> task;

    private ReadWatchdog(Closeable stream, Duration idle, Duration total) {
        long start = System.nanoTime();
        long period = Math.max(50, Math.min(1000, idle.toMillis() / 4));
        this.task = TIMER.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            if (now - lastProgress.get() > idle.toNanos()) {
                expired.compareAndSet(null, "no data arrived for " + idle.toSeconds() + " s");
            } else if (now - start > total.toNanos()) {
                expired.compareAndSet(null, "the transfer took longer than " + total.toSeconds() + " s");
            }
            if (expired.get() != null) {
                try {
                    stream.close();
                } catch (IOException | RuntimeException ignored) {
                    // closing is how the blocked reader is woken; a failure here leaves it to the next tick
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
    }

    /** Starts watching {@code stream}; close the watchdog when the loop ends. */
    public static ReadWatchdog start(Closeable stream, Duration idle, Duration total) {
        return new ReadWatchdog(stream, idle, total);
    }

    /** Call after every successful read. */
    public void progress() {
        lastProgress.set(System.nanoTime());
    }

    /** @return why the stream was closed by the watchdog, if it was */
    public java.util.Optional<String> expiry() {
        return java.util.Optional.ofNullable(expired.get());
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
