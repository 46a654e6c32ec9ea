package io.vboxmcp.virtualbox.internal.cli;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.virtualbox.internal.VBoxVersion;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * How {@link VBoxManageAdapter} runs {@code VBoxManage}: the version check every command waits for (once), the C
 * locale, one lock per machine so two commands never race for its session, failure on a non-zero exit or an error
 * block on stderr, and retries only when another session holds the machine's lock. The adapter is the verbs.
 */
final class VBoxManageCommands {
    private final String executable;
    private final CommandRunner runner;
    private final Sleeper sleeper;
    private final Duration timeout;
    private final Consumer<String> warnings;
    private final Map<String, ReentrantLock> vmLocks = new ConcurrentHashMap<>();
    private volatile VBoxVersion version;

    VBoxManageCommands(String executable, CommandRunner runner, Sleeper sleeper, Duration timeout,
                       Consumer<String> warnings) {
        this.executable = executable;
        this.runner = runner;
        this.sleeper = sleeper;
        this.timeout = timeout;
        this.warnings = warnings;
    }

    VBoxVersion version() throws VboxmcpException {
        VBoxVersion v = version;
        if (v != null) {
            return v;
        }
        synchronized (this) {
            if (version != null) {
                return version;
            }
            CommandResult r = runner.run(argv("--version"), VBoxManageAdapter.ENV, timeout);
            Optional<VBoxVersion> parsed = VBoxVersion.parse(r.stdout());
            if (parsed.isEmpty()) {
                parsed = VBoxVersion.parse(r.stdout() + "\n" + r.stderr());
            }
            if (r.exitCode() != 0 || parsed.isEmpty()) {
                String out = (r.stdout() + r.stderr()).strip();
                throw new HypervisorException("'" + executable + " --version' did not print a version (exit "
                        + r.exitCode() + ")" + (out.isEmpty() ? "" : ": " + out.lines().findFirst().orElse("")));
            }
            v = parsed.get();
            if (!v.supported()) {
                throw new HypervisorException("VirtualBox " + v + " is not supported: vboxmcp needs VirtualBox 7.0 or "
                        + "newer (found by running '" + executable + " --version'); upgrade VirtualBox or use another driver");
            }
            v.warnings().forEach(w -> warnings.accept("VBoxManage --version warned: " + w));
            if (!v.tested()) {
                warnings.accept("VirtualBox " + v + " is newer than the versions vboxmcp was tested with (7.0-7.2)");
            }
            version = v;
            return v;
        }
    }

    private List<String> argv(String... args) {
        List<String> a = new ArrayList<>(args.length + 1);
        a.add(executable);
        a.addAll(Arrays.asList(args));
        return a;
    }

    /**
     * Runs one VBoxManage command for {@code vm} (null: not about one machine), holding that machine's lock,
     * retrying only on session-lock errors.
     *
     * @param successIf accepts an otherwise failed result (may be null)
     */
    CommandResult run(String vm, Duration t, Predicate<CommandResult> successIf, String... args)
            throws VboxmcpException {
        version();
        ReentrantLock lock = vm == null ? null : vmLocks.computeIfAbsent(vm.toLowerCase(Locale.ROOT), k -> new ReentrantLock());
        if (lock != null) {
            lock.lock();
        }
        try {
            Duration delay = Duration.ofMillis(500);
            for (int attempt = 1; ; attempt++) {
                List<String> argv = argv(args);
                CommandResult r = runner.run(argv, VBoxManageAdapter.ENV, t);
                boolean failed = r.exitCode() != 0 || ErrorBlock.present(r.stderr());
                if (!failed || successIf != null && successIf.test(r)) {
                    return r;
                }
                VBoxManageException e = new VBoxManageException(argv, r.exitCode(), ErrorBlock.parse(r.stderr()), r.stderr());
                if (!e.isSessionLock() || attempt >= VBoxManageAdapter.LOCK_ATTEMPTS) {
                    throw e;
                }
                try {
                    sleeper.sleep(delay);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new HypervisorException(ErrorCode.CANCELLED, "interrupted while waiting for a session lock", ie);
                }
                delay = delay.multipliedBy(2);
            }
        } finally {
            if (lock != null) {
                lock.unlock();
            }
        }
    }
}
