package io.vboxmcp.virtualbox.internal.cli;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs commands as real processes; stdout and stderr are drained on their own threads so neither pipe blocks. */
public final class ProcessCommandRunner implements CommandRunner {
    /** VBoxManage prints progress for long imports; a cap keeps a runaway child from filling the heap. */
    private static final int MAX_CAPTURE = 8 * 1024 * 1024;

    @Override
    public CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) throws VboxmcpException {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new HypervisorException("could not run " + argv.get(0) + ": " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // the child may already have exited; nothing to send anyway
        }
        Drain out = new Drain(p.getInputStream());
        Drain err = new Drain(p.getErrorStream());
        Thread to = start(out, "vboxmanage-stdout");
        Thread te = start(err, "vboxmanage-stderr");
        boolean finished;
        try {
            finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new HypervisorException(ErrorCode.CANCELLED, "interrupted while running " + describe(argv), e);
        }
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            join(to);
            join(te);
            throw new HypervisorException(ErrorCode.TIMEOUT, describe(argv) + " did not finish within "
                    + timeout.toSeconds() + " s and was killed; stderr: " + tail(err.text()), null);
        }
        join(to);
        join(te);
        return new CommandResult(argv, p.exitValue(), out.text(), err.text());
    }

    private static String describe(List<String> argv) {
        return "'" + String.join(" ", argv) + "'";
    }

    private static String tail(String s) {
        String t = s.strip();
        return t.length() <= 400 ? t : "..." + t.substring(t.length() - 400);
    }

    private static Thread start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void join(Thread t) {
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class Drain implements Runnable {
        private final InputStream in;
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        Drain(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            byte[] b = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(b)) >= 0) {
                    synchronized (buf) {
                        if (buf.size() < MAX_CAPTURE) {
                            buf.write(b, 0, Math.min(n, MAX_CAPTURE - buf.size()));
                        }
                    }
                }
            } catch (IOException ignored) {
                // the process was killed; keep what was read
            }
        }

        String text() {
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        }
    }
}
