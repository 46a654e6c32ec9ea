package io.vboxmcp.core.internal.ssh;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Collects a command's output: keeps at most {@code cap} bytes, the last {@code tailLines} lines, and passes
 * each complete line to a listener as it arrives. Thread-safe (stdout and stderr arrive on different threads).
 */
final class OutputCollector {
    private final int cap;
    private final int tailLines;
    private final Consumer<String> listener;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Deque<String> tail = new ArrayDeque<>();
    private boolean truncated;

    OutputCollector(int cap, int tailLines, Consumer<String> listener) {
        this.cap = cap;
        this.tailLines = tailLines;
        this.listener = listener;
    }

    /** @return a stream that feeds this collector, splitting lines; its own partial line is flushed on close */
    OutputStream stream() {
        return new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                synchronized (OutputCollector.this) {
                    int room = cap - kept.size();
                    if (room > 0) {
                        kept.write(b, off, Math.min(room, len));
                    }
                    if (len > room) {
                        truncated = true;
                    }
                }
                for (int i = off; i < off + len; i++) {
                    if (b[i] == '\n') {
                        emit();
                    } else if (line.size() < 8192) {
                        line.write(b[i]);
                    }
                }
            }

            private void emit() {
                String s = line.toString(StandardCharsets.UTF_8);
                line.reset();
                synchronized (OutputCollector.this) {
                    tail.addLast(s);
                    if (tail.size() > tailLines) {
                        tail.removeFirst();
                    }
                }
                if (listener != null) {
                    try {
                        listener.accept(s);
                    } catch (RuntimeException ignored) {
                        // a listener must not break the command
                    }
                }
            }

            @Override
            public void close() {
                if (line.size() > 0) {
                    emit();
                }
            }
        };
    }

    synchronized String text() {
        return kept.toString(StandardCharsets.UTF_8);
    }

    synchronized boolean truncated() {
        return truncated;
    }

    synchronized List<String> tail() {
        return new ArrayList<>(tail);
    }
}
