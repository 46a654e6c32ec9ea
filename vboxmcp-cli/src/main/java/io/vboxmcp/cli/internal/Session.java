package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.template.rules.internal.Printable;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One invocation's shared state: global options, where output goes, the progress display and the manager (built on
 * first use, closed when the command ends). Output rules: results go to stdout (one JSON document with
 * {@code --json}), progress and errors to stderr.
 */
final class Session implements AutoCloseable {
    private final Path home;
    private final boolean json;
    private final boolean quiet;
    private final boolean verbose;
    private final PrintStream out;
    private final PrintStream err;
    private final ProgressDisplay progress;
    private VmManager manager;
    /** Manager properties from global options ({@code --libvirt-uri}), applied to every builder. */
    private final Map<String, String> properties = new LinkedHashMap<>();

    Session(Path home, boolean json, boolean quiet, boolean verbose, PrintStream out, PrintStream err) {
        this.home = home;
        this.json = json;
        this.quiet = quiet;
        this.verbose = verbose;
        this.out = out;
        this.err = err;
        this.progress = ProgressDisplay.forStream(err, json || quiet, verbose);
    }

    boolean json() {
        return json;
    }

    boolean quiet() {
        return quiet;
    }

    boolean verbose() {
        return verbose;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    ProgressDisplay progress() {
        return progress;
    }

    /** Sets a manager property (a provider's configuration key) for the manager this session builds. */
    void property(String key, String value) {
        properties.put(key, value);
    }

    /** @return the home folder: {@code --home}, else {@code $VBOXMCP_HOME}, else {@code ~/.vboxmcp} */
    Path home() {
        return builder().config().home();
    }

    /** @return the manager with default settings, built on first use */
    VmManager manager() throws VboxmcpException {
        return manager(b -> { });
    }

    /**
     * @param customize adjusts the builder (shared folder roots, default driver) before the first build; ignored if
     *                  the manager exists already
     */
    VmManager manager(Consumer<VmManager.Builder> customize) throws VboxmcpException {
        if (manager == null) {
            VmManager.Builder b = builder().progress(progress);
            customize.accept(b);
            manager = b.build();
        }
        return manager;
    }

    private VmManager.Builder builder() {
        VmManager.Builder b = VmManager.builder();
        if (home != null) {
            b.home(home);
        }
        properties.forEach(b::property);
        return b;
    }

    /** Prints a line of human output on stdout, unless {@code --quiet} or {@code --json}. */
    void say(String line) {
        if (!quiet && !json) {
            out.println(safe(line));
        }
    }

    /** Prints a line of result on stdout that even {@code --quiet} keeps (ids, digests, listings); not with --json. */
    void result(String line) {
        if (!json) {
            out.println(safe(line));
        }
    }

    /** Prints a warning on stderr, unless {@code --quiet} or {@code --json}. */
    void warn(String line) {
        if (!quiet && !json) {
            progress.interrupt();
            err.println("warning: " + safe(line));
        }
    }

    /** Prints an error line on stderr (even with {@code --quiet}); with {@code --json} the document carries it. */
    void error(String line) {
        if (!json) {
            progress.interrupt();
            err.println("error: " + safe(line));
        }
    }

    /**
     * The one output-escaping rule of the command line: every human-readable line goes through it, so template
     * fields, file names, key labels and error messages cannot drive the terminal (YML-13). {@code --json} output
     * is escaped by the JSON writer instead.
     */
    static String safe(String text) {
        return Printable.lines(text);
    }

    /** Prints the command's JSON document (adding {@code "ok"}) when {@code --json} is on. */
    void emitJson(boolean ok, ObjectNode doc) {
        if (json) {
            ObjectNode root = Json.obj().put("ok", ok);
            root.setAll(doc);
            out.println(Json.write(root));
        }
    }

    /** Work done inside a step of the progress display. */
    interface StepBody<T> {
        T run() throws Exception;
    }

    /** Runs {@code body} as step {@code name}, reporting start, finish (with its time) or failure. */
    <T> T step(String name, String message, StepBody<T> body) throws Exception {
        long start = System.nanoTime();
        progress.onEvent(new ProgressEvent(ProgressEvent.Kind.STEP_STARTED, null, name, message, -1, -1,
                Duration.ZERO));
        try {
            T t = body.run();
            progress.onEvent(new ProgressEvent(ProgressEvent.Kind.STEP_FINISHED, null, name, "", -1, -1,
                    Duration.ofNanos(System.nanoTime() - start)));
            return t;
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            progress.onEvent(new ProgressEvent(ProgressEvent.Kind.STEP_FAILED, null, name, why, -1, -1,
                    Duration.ofNanos(System.nanoTime() - start)));
            throw e;
        }
    }

    @Override
    public void close() {
        progress.close();
        if (manager != null) {
            manager.close();
            manager = null;
        }
        out.flush();
        err.flush();
    }
}
