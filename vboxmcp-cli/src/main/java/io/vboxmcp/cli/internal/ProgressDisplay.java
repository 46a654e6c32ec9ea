package io.vboxmcp.cli.internal;

import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Shows progress events on stderr. On a terminal ({@code System.console()} present and {@code TERM} set, not
 * {@code dumb}): one live line redrawn in place (spinner, current step, a bar for downloads, elapsed time) above
 * which each finished step stays as a line with its timing. Elsewhere: plain lines, one per event worth logging, no
 * control characters. Colours only on a terminal and only if {@code NO_COLOR} is unset or empty.
 */
final class ProgressDisplay implements ProgressListener, AutoCloseable {
    enum Mode { TERMINAL, PLAIN, OFF }

    private static final String CLEAR = "\r\033[2K";
    private static final long REDRAW_NANOS = 50_000_000L;

    private final PrintStream err;
    private final Mode mode;
    private final boolean verbose;
    private final boolean color;
    private final boolean unicode;
    private final int width;
    private final Map<String, Long> running = new LinkedHashMap<>();
    private final Map<String, Integer> plainQuarter = new LinkedHashMap<>();
    private ProgressEvent last;
    private String liveStep;
    private String liveDetail = "";
    private long bytesDone = -1;
    private long bytesTotal = -1;
    private boolean liveShown;
    private long lastDraw;
    private int tick;
    private ScheduledExecutorService ticker;
    private boolean closed;

    ProgressDisplay(PrintStream err, Mode mode, boolean verbose, boolean color, boolean unicode, int width) {
        this.err = err;
        this.mode = mode;
        this.verbose = verbose;
        this.color = color;
        this.unicode = unicode;
        this.width = Math.max(40, width);
    }

    static ProgressDisplay forStream(PrintStream err, boolean off, boolean verbose) {
        Mode mode = off ? Mode.OFF : isTerminal() ? Mode.TERMINAL : Mode.PLAIN;
        String noColor = System.getenv("NO_COLOR");
        boolean color = mode == Mode.TERMINAL && (noColor == null || noColor.isEmpty());
        int width = 100;
        try {
            String cols = System.getenv("COLUMNS");
            if (cols != null) {
                width = Integer.parseInt(cols.trim());
            }
        } catch (NumberFormatException ignored) {
            // keep the default
        }
        return new ProgressDisplay(err, mode, verbose, color, utf8Locale(), width);
    }

    static boolean isTerminal() {
        String term = System.getenv("TERM");
        return System.console() != null && term != null && !term.isBlank() && !term.equals("dumb");
    }

    static boolean utf8Locale() {
        for (String v : new String[] {"LC_ALL", "LC_CTYPE", "LANG"}) {
            String s = System.getenv(v);
            if (s != null && !s.isEmpty()) {
                String l = s.toLowerCase(Locale.ROOT);
                return l.contains("utf-8") || l.contains("utf8");
            }
        }
        return false;
    }

    Mode mode() {
        return mode;
    }

    @Override
    public synchronized void onEvent(ProgressEvent e) {
        // the same event may arrive through both the manager's and the request's listener
        if (mode == Mode.OFF || closed || e.equals(last)) {
            return;
        }
        last = e;
        // step names and messages carry template fields and guest output: the CLI's one escaping rule applies
        e = new ProgressEvent(e.kind(), e.vmName(), e.step() == null ? null : Session.safe(e.step()),
                e.message() == null ? null : Session.safe(e.message()), e.done(),
                e.total(), e.elapsed());
        if (mode == Mode.PLAIN) {
            plain(e);
        } else {
            terminal(e);
        }
    }

    private void plain(ProgressEvent e) {
        String step = e.step();
        switch (e.kind()) {
            case STEP_STARTED -> {
                running.put(step, System.nanoTime());
                err.println(step + ": " + (meaningful(step, e.message()) ? e.message() : "started"));
            }
            case STEP_FINISHED -> err.println(step + ": done in " + format(elapsed(e)) + suffix(step, e.message()));
            case STEP_FAILED -> err.println(step + ": FAILED after " + format(elapsed(e)) + suffix(step, e.message()));
            case BYTES -> {
                int pct = e.percent();
                if (pct < 0) {
                    return;
                }
                int quarter = pct / 25;
                Integer prev = plainQuarter.get(step);
                if (prev == null || quarter > prev) {
                    plainQuarter.put(step, quarter);
                    err.println(step + ": " + pct + "% (" + bytes(e.done()) + " of " + bytes(e.total()) + ")");
                }
            }
            case INFO -> err.println(step + ": " + e.message());
            case OUTPUT -> {
                if (verbose) {
                    err.println(step + " | " + e.message());
                }
            }
        }
        if (e.kind() == ProgressEvent.Kind.STEP_FINISHED || e.kind() == ProgressEvent.Kind.STEP_FAILED) {
            running.remove(step);
            plainQuarter.remove(step);
        }
        err.flush();
    }

    private void terminal(ProgressEvent e) {
        String step = e.step();
        switch (e.kind()) {
            case STEP_STARTED -> {
                running.put(step, System.nanoTime());
                live(step, meaningful(step, e.message()) ? e.message() : "");
            }
            case STEP_FINISHED, STEP_FAILED -> {
                boolean ok = e.kind() == ProgressEvent.Kind.STEP_FINISHED;
                clearLive();
                String mark = ok ? paint("32", unicode ? "✓" : "ok") : paint("31", unicode ? "✗" : "!!");
                err.println(" " + mark + " " + pad(step) + " " + paint("2", format(elapsed(e)))
                        + (ok ? suffix(step, e.message()) : " " + paint("31", e.message())));
                running.remove(step);
                if (step.equals(liveStep)) {
                    List<String> still = new ArrayList<>(running.keySet());
                    liveStep = still.isEmpty() ? null : still.get(still.size() - 1);
                    liveDetail = "";
                    bytesDone = -1;
                    bytesTotal = -1;
                }
                draw(true);
            }
            case BYTES -> {
                if (!step.equals(liveStep)) {
                    running.putIfAbsent(step, System.nanoTime());
                    liveStep = step;
                }
                bytesDone = e.done();
                bytesTotal = e.total();
                if (!e.message().isBlank()) {
                    liveDetail = e.message();
                }
                draw(e.done() >= e.total() && e.total() > 0);
            }
            case INFO, OUTPUT -> {
                if (verbose) {
                    above((e.kind() == ProgressEvent.Kind.OUTPUT ? "   | " : "   ") + step + ": " + e.message());
                } else {
                    liveDetail = e.message();
                    draw(false);
                }
            }
        }
        startTicker();
    }

    private void live(String step, String detail) {
        liveStep = step;
        liveDetail = detail == null ? "" : detail;
        bytesDone = -1;
        bytesTotal = -1;
        draw(true);
    }

    /** Prints a whole line above the live line. */
    private void above(String line) {
        clearLive();
        err.println(line);
        draw(true);
    }

    private void clearLive() {
        if (liveShown) {
            err.print(CLEAR);
            liveShown = false;
        }
    }

    private synchronized void redrawTick() {
        tick++;
        draw(true);
    }

    private void draw(boolean force) {
        if (mode != Mode.TERMINAL || closed) {
            return;
        }
        long now = System.nanoTime();
        if (!force && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        if (liveStep == null) {
            clearLive();
            err.flush();
            return;
        }
        Long started = running.get(liveStep);
        String time = started == null ? "" : format(Duration.ofNanos(now - started));
        String spin = unicode ? String.valueOf("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏".charAt(tick % 10)) : String.valueOf("|/-\\".charAt(tick % 4));
        StringBuilder b = new StringBuilder(" ").append(spin).append(' ').append(pad(liveStep)).append(' ');
        int plainLength;
        if (bytesDone >= 0) {
            b.append(bar()).append(' ');
        }
        String detail = liveDetail.replaceAll("\\p{Cntrl}", " ");
        plainLength = b.length() + time.length() + 2;
        int room = width - 1 - plainLength;
        if (room > 3 && !detail.isEmpty()) {
            b.append(detail.length() > room ? detail.substring(0, room - 1) + (unicode ? "…" : "~") : detail).append(' ');
        }
        String line = b.toString();
        if (line.length() + time.length() >= width) {
            line = line.substring(0, Math.max(0, width - 2 - time.length()));
        }
        err.print(CLEAR + paintSpinner(line) + paint("2", time));
        err.flush();
        liveShown = true;
    }

    private String paintSpinner(String line) {
        if (!color || line.length() < 3) {
            return line;
        }
        return line.substring(0, 1) + paint("36", line.substring(1, 2)) + line.substring(2);
    }

    private String bar() {
        int cells = 24;
        if (bytesTotal <= 0) {
            return "[" + bytes(bytesDone) + "]";
        }
        int pct = (int) Math.min(100, bytesDone * 100 / bytesTotal);
        int full = pct * cells / 100;
        String fill = unicode ? "█" : "#";
        String empty = unicode ? "░" : "-";
        return "[" + fill.repeat(full) + empty.repeat(cells - full) + "] " + String.format(Locale.ROOT, "%3d%%", pct)
                + " " + bytes(bytesDone) + "/" + bytes(bytesTotal);
    }

    private void startTicker() {
        if (ticker == null && !closed) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "vboxmcp-progress");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::redrawTick, 120, 120, TimeUnit.MILLISECONDS);
        }
    }

    /** Removes the live line so that the caller can print (an error, a warning). */
    synchronized void interrupt() {
        clearLive();
        err.flush();
    }

    private Duration elapsed(ProgressEvent e) {
        Long started = running.get(e.step());
        if (!e.elapsed().isZero() || started == null) {
            return e.elapsed();
        }
        return Duration.ofNanos(System.nanoTime() - started);
    }

    private String paint(String code, String s) {
        return color ? "\033[" + code + "m" + s + "\033[0m" : s;
    }

    private static String pad(String step) {
        return step.length() >= 12 ? step : step + " ".repeat(12 - step.length());
    }

    private static String suffix(String step, String message) {
        return !meaningful(step, message) ? "" : "  " + message;
    }

    /** Whether a step message says more than the step's name ("resolve", "resolve done"). */
    private static boolean meaningful(String step, String message) {
        if (message == null || message.isBlank()) {
            return false;
        }
        String m = message.trim();
        return !m.equals(step) && !m.equals(step + " done") && !m.equals(step + " started") && !m.equals("done");
    }

    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        return String.format(Locale.ROOT, "%dm%02ds", ms / 60_000, (ms / 1000) % 60);
    }

    static String bytes(long n) {
        if (n < 0) {
            return "?";
        }
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", n / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GiB", n / (1024.0 * 1024 * 1024));
    }

    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            if (closed) {
                return;
            }
            clearLive();
            err.flush();
            closed = true;
            t = ticker;
        }
        if (t != null) {
            t.shutdownNow();
        }
    }
}
