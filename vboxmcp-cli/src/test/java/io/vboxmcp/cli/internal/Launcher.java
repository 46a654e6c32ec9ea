package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code ./vboxmcp} launcher at the repository root as a separate process, on the classes just
 * compiled ({@code VBOXMCP_CLI_CLASSES=1}), with stdin closed and stdout/stderr captured (so not a terminal).
 */
final class Launcher {
    static final Path ROOT = findRoot();
    static final Path SCRIPT = ROOT.resolve("vboxmcp");
    /**
     * The launcher's own default options plus no bytecode verification of the classes on the class path: the tests run
     * hundreds of launcher processes from {@code target/classes} (no class-data archive there, unlike the jar), and
     * verifying the just-compiled classes again in every one of them cost about 0.25 s of the 1.4 s a start takes
     * (CI time). A test that sets {@code VBOXMCP_JAVA_OPTS} itself ({@link #env}) wins.
     */
    static final String JAVA_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto "
            + "-XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote";

    private final Path home;
    private final Map<String, String> env = new HashMap<>();
    private Path workDir = ROOT;
    private java.time.Duration limit = java.time.Duration.ofMinutes(20);

    Launcher(Path home) {
        this.home = home;
    }

    Launcher env(String key, String value) {
        env.put(key, value);
        return this;
    }

    /** Fails the test if a run takes longer than {@code d} (for refusals that must come in bounded time). */
    Launcher within(java.time.Duration d) {
        this.limit = d;
        return this;
    }

    /** Starts {@code vboxmcp --home HOME args...} without waiting; stdout and stderr go to {@code log}. */
    Process start(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(SCRIPT.toString());
        cmd.add("--home");
        cmd.add(home.toString());
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = builder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    Launcher in(Path dir) {
        this.workDir = dir;
        return this;
    }

    /** Runs {@code vboxmcp --home HOME args...}. */
    Result run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(SCRIPT.toString());
        cmd.add("--home");
        cmd.add(home.toString());
        cmd.addAll(Arrays.asList(args));
        return exec(cmd);
    }

    /** Runs {@code vboxmcp args...} without adding --home. */
    Result runBare(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(SCRIPT.toString());
        cmd.addAll(Arrays.asList(args));
        return exec(cmd);
    }

    private ProcessBuilder builder(List<String> cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile());
        pb.environment().remove("VBOXMCP_HOME");
        pb.environment().remove("NO_COLOR");
        pb.environment().put("VBOXMCP_CLI_CLASSES", "1");
        pb.environment().put("VBOXMCP_JAVA_OPTS", JAVA_OPTS);
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb;
    }

    private Result exec(List<String> cmd) {
        ProcessBuilder pb = builder(cmd);
        try {
            Process p = pb.start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("vboxmcp " + cmd + " did not finish within " + limit);
            }
            return new Result(cmd, p.exitValue(), new String(out.join(), StandardCharsets.UTF_8),
                    new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static byte[] readAll(java.io.InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path findRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("vboxmcp"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the ./vboxmcp launcher above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    record Result(List<String> command, int exit, String out, String err) {
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(out);
            } catch (IOException e) {
                throw new AssertionError("stdout of " + command + " is not JSON:\n" + out + "\nstderr:\n" + err, e);
            }
        }

        /** @return a description for assertion messages */
        String show() {
            return String.join(" ", command) + "\nexit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }
}
