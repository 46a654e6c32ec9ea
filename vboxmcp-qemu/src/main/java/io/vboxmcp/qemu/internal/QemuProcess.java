package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The life of one machine's QEMU process: launch ({@code -daemonize}: the launcher exits once the guest runs),
 * the live pid from the pid file, status over QMP, and the way down (ACPI power button, QMP {@code quit}, then
 * SIGKILL as the last resort).
 */
final class QemuProcess {
    private final QemuSettings settings;

    QemuProcess(QemuSettings settings) {
        this.settings = settings;
    }

    /**
     * Runs {@code args} and waits for QEMU to daemonize; its output goes to {@code qemu.log}.
     *
     * @throws HypervisorException when QEMU fails (a busy forwarded port is named as such), does not start in time
     *                             ({@link ErrorCode#TIMEOUT}) or the wait is interrupted ({@link ErrorCode#CANCELLED})
     */
    void launch(Path vmDir, String name, List<String> args) throws HypervisorException {
        Path log = vmDir.resolve(MachineFolder.LOG);
        try {
            Files.writeString(log, String.join(" ", args) + "\n");
            Process p = new ProcessBuilder(args).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            long deadline = System.nanoTime() + settings.startTimeout().toNanos();
            boolean interrupted = false;
            boolean exited;
            try {
                exited = p.waitFor(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                // The daemon child goes on starting whether we wait or not: it would write its pid file, socket
                // and console into the folder after this call had returned, racing the folder's removal (and the
                // pid file would come too late to kill it by). So wait for the launcher to report the daemon up
                // or failed, bounded by the start timeout, then take the daemon down below.
                interrupted = true;
                exited = awaitUninterruptibly(p, deadline);
            }
            if (!exited || interrupted) {
                p.destroyForcibly();
                killAll(vmDir);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                    throw new HypervisorException(ErrorCode.CANCELLED, "interrupted while starting QEMU", null);
                }
                throw new HypervisorException(ErrorCode.TIMEOUT, "QEMU did not start within "
                        + settings.startTimeout().toSeconds() + " s; log: " + Files2.tail(log, 5), null);
            }
            if (p.exitValue() != 0) {
                String why = Files2.tail(log, 5);
                Files2.deleteQuietly(vmDir.resolve(MachineFolder.PID));
                String msg = why.contains("host forwarding rule") || why.contains("Address already in use")
                        ? "a forwarded host port of " + name + " is already in use: " + lastLine(why)
                        : "QEMU failed to start " + name + " (exit " + p.exitValue() + "): " + lastLine(why);
                throw new HypervisorException(msg);
            }
        } catch (IOException e) {
            throw new HypervisorException("could not run " + settings.qemu() + ": " + e.getMessage(), e);
        }
    }

    /** Waits for {@code p} to exit until {@code deadline}, through interrupts (the caller restores the flag). */
    private static boolean awaitUninterruptibly(Process p, long deadline) {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return !p.isAlive();
            }
            try {
                return p.waitFor(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException again) {
                // keep waiting: returning now would leave a half-started QEMU writing into the folder
            }
        }
    }

    private static String lastLine(String text) {
        String[] l = text.strip().split("\n");
        return l[l.length - 1];
    }

    /** The live QEMU process of this VM folder: the pid file's process, if its command line names this folder. */
    static Optional<Long> pid(Path vmDir) {
        Path f = vmDir.resolve(MachineFolder.PID);
        try {
            if (!Files.isRegularFile(f)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(f).trim());
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().isAlive()) {
                return Optional.empty();
            }
            Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
            if (Files.isReadable(cmdline)) {
                String cmd = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8);
                if (!cmd.contains(f.toString())) {
                    return Optional.empty(); // the pid was reused by something else
                }
            }
            return Optional.of(pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** @return QMP's {@code query-status} of the QEMU behind {@code socket}, empty if it does not answer */
    @SuppressWarnings("unchecked")
    Optional<String> status(Path socket) {
        try (Qmp q = Qmp.connect(socket, settings.qmpTimeout())) {
            Object r = q.execute("query-status");
            return Optional.ofNullable((String) ((java.util.Map<String, Object>) r).get("status"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Presses the ACPI power button and waits up to {@code grace}; then {@link #quitOrKill}. */
    void stop(Path socket, long pid, Duration grace) {
        try (Qmp q = Qmp.connect(socket, settings.qmpTimeout())) {
            q.execute("system_powerdown");
        } catch (IOException e) {
            // no QMP: go straight to quit/kill below
        }
        if (!waitForExit(pid, grace)) {
            quitOrKill(socket, pid);
        }
    }

    /** QMP quit, then the last resort: SIGKILL. */
    void quitOrKill(Path socket, long pid) {
        try (Qmp q = Qmp.connect(socket, settings.qmpTimeout())) {
            q.execute("quit");
        } catch (IOException e) {
            // QEMU closes the socket while answering quit, or QMP is gone; either way wait, then kill
        }
        if (!waitForExit(pid, settings.quitTimeout())) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            waitForExit(pid, Duration.ofSeconds(5));
        }
    }

    /**
     * Kills every process of this folder's launch and waits for each to exit: the one in the pid file and any
     * whose command line names the pid file (the launcher and a daemon child that has not written its pid yet).
     */
    private static void killAll(Path vmDir) {
        String pidFile = vmDir.resolve(MachineFolder.PID).toString();
        List<ProcessHandle> ours = new java.util.ArrayList<>(ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(c -> c.contains(pidFile)).orElse(false)).toList());
        pid(vmDir).flatMap(ProcessHandle::of).ifPresent(ours::add);
        ours.forEach(ProcessHandle::destroyForcibly);
        ours.forEach(h -> waitForExit(h.pid(), Duration.ofSeconds(5)));
    }

    private static boolean waitForExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
