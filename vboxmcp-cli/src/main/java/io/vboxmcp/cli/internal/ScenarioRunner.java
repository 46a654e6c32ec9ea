package io.vboxmcp.cli.internal;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.template.TestScenarios;
import io.vboxmcp.core.internal.template.TestScenarios.Outcome;
import io.vboxmcp.core.internal.template.TestScenarios.Scenario;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.qemu.QemuKeys;
import io.vboxmcp.template.InstalledTemplate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs one scenario of a template's tests in isolation, through the public API only: a sub-home of its own (a copy
 * of the caller's pinned keys, nothing else: no VMs, keys or caches of the caller are read or changed), the template
 * installed there from a throw-away copy, guest networking restricted to the scenario's and the command line's
 * mirrors (the package mirrors relayed, {@link RestrictedMirrors}), the create, every
 * check in the guest, the console log, then the VM destroyed and the sub-home removed (both kept with
 * {@code keepOnFailure} when the scenario missed its expectation).
 */
final class ScenarioRunner {
    /** Lines of provisioning output and of console kept per scenario for the report. */
    static final int KEEP_LINES = 400;
    static final String VM_PREFIX = "test-";

    /**
     * How one run is configured: where the user's home is, catalogs, driver, limits.
     *
     * @param mirrors      the package mirrors of the command line as an open guest uses them (relayed for
     *                     restricted scenarios, {@link RestrictedMirrors})
     * @param readyTimeout how long each create waits for the guest's SSH; null for the manager's default
     */
    record Settings(Path userHome, Path template, Path workDir, List<String> catalogs, String driver,
                    Duration checkTimeout, boolean keepOnFailure, PackageMirrors mirrors, Duration readyTimeout) {
    }

    /** One check's run in the guest. */
    record CheckResult(String name, int exitCode, boolean timedOut, String output, long millis) {
        boolean passed() {
            return exitCode == 0 && !timedOut;
        }
    }

    /**
     * @param failedStep  the step a failed create named, null if the create succeeded
     * @param failedCode  its error code, null if the create succeeded
     * @param keptHint    how to reach a kept VM, null if nothing was kept
     */
    record Result(Scenario scenario, boolean met, String message, long millis, String failedStep, String failedCode,
                  List<CheckResult> checks, String console, String provisioning, String keptHint) {
    }

    private final Settings settings;

    ScenarioRunner(Settings settings) {
        this.settings = settings;
    }

    Result run(Scenario sc, Consumer<String> log) {
        long start = System.nanoTime();
        Path dir = settings.workDir().resolve(sc.name());
        Path home = dir.resolve("home");
        Deque<String> provisioning = new ArrayDeque<>();
        List<CheckResult> checks = new ArrayList<>();
        String console = "";
        String step = null;
        String code = null;
        String createMessage = null;
        String vmName = VM_PREFIX + sc.name();
        boolean keep = false;
        String hint = null;
        try (VmManager manager = manager(sc, home)) {
            InstalledTemplate t = manager.templates().install(settings.template());
            // shares come from a copy of the installed (checked: no links, FIFOs, devices) files, never the original
            Path copy = dir.resolve("template");
            copyTree(t.directory(), copy);
            CreateVmRequest request = request(sc, vmName, TemplateRef.of(t.definition().name(),
                    t.definition().version().toString()), copy, provisioning);
            Vm vm = null;
            try {
                log.accept(sc.name() + ": creating " + vmName + " from " + t.definition().coordinates());
                vm = manager.createFromTemplate(request);
            } catch (VboxmcpException e) {
                step = e.step().orElse("?");
                code = e.code().name();
                createMessage = e.getMessage();
                vm = manager.vm(vmName).orElse(null);   // kept by keep-on-failure
            }
            if (vm != null) {
                try {
                    if (step == null) {
                        for (String c : sc.checks()) {
                            checks.add(check(vm, sc, c));
                            log.accept(sc.name() + ": check " + c + " " + (checks.get(checks.size() - 1).passed()
                                    ? "passed" : "failed"));
                        }
                    }
                    console = vm.consoleTail(KEEP_LINES);
                } finally {
                    boolean met = evaluate(sc, step, code, checks).met;
                    keep = settings.keepOnFailure() && !met;
                    if (keep) {
                        hint = "vboxmcp --home " + home + " ssh " + vmName + "   (then: vboxmcp --home " + home
                                + " destroy " + vmName + ")";
                    } else {
                        vm.destroy();
                    }
                }
            }
        } catch (VboxmcpException | IOException | RuntimeException e) {
            // the run itself broke (install refused, destroy failed): the scenario did not meet its expectation
            return new Result(sc, false, "could not run: " + e.getMessage(), elapsed(start), step, code, checks,
                    console, String.join("\n", provisioning), hint);
        } finally {
            if (!keep) {
                try {
                    AtomicFiles.deleteTree(dir);
                } catch (IOException e) {
                    log.accept(sc.name() + ": could not remove " + dir + ": " + e.getMessage());
                }
            }
        }
        Verdict v = evaluate(sc, step, code, checks);
        String message = v.message + (createMessage != null && !v.met ? ": " + createMessage : "");
        return new Result(sc, v.met, message, elapsed(start), step, code, checks, console,
                String.join("\n", provisioning), hint);
    }

    private VmManager manager(Scenario sc, Path home) throws VboxmcpException, IOException {
        Files.createDirectories(home);
        Path trust = settings.userHome().resolve("trust");
        if (Files.isDirectory(trust)) {
            // the same pinned keys as the caller's: a signed template verifies here as it would there
            copyTree(trust, home.resolve("trust"));
        }
        VmManager.Builder b = VmManager.builder().home(home);
        if (!settings.catalogs().isEmpty()) {
            b.property(CoreKeys.IMAGE_CATALOG, String.join(",", settings.catalogs()));
        }
        if (settings.driver() != null) {
            b.defaultDriver(settings.driver());
        }
        if (sc.restricted()) {
            RestrictedMirrors relayed = RestrictedMirrors.of(settings.mirrors(), sc.mirrors());
            b.packageMirrors(relayed.mirrors()).property(QemuKeys.NETWORK_RESTRICT, "true")
                    .property(QemuKeys.NETWORK_ALLOW, String.join(",", relayed.allow()));
        } else {
            b.packageMirrors(settings.mirrors());
        }
        for (String share : sc.sharedFolders().values()) {
            b.allowSharedFolderRoot(home.getParent().resolve("template").resolve(share));
        }
        return b.build();
    }

    /** @return the request that creates {@code sc}'s VM from the installed template {@code ref} */
    CreateVmRequest request(Scenario sc, String vmName, TemplateRef ref, Path copy, Deque<String> provisioning)
            throws VboxmcpException {
        CreateVmRequest.Builder r = CreateVmRequest.builder(vmName, ref);
        if (sc.memoryMb() != null) {
            r.memoryMb(sc.memoryMb());
        }
        if (sc.cpus() != null) {
            r.cpus(sc.cpus());
        }
        if (sc.diskSizeMb() != null) {
            r.diskSizeMb(sc.diskSizeMb());
        }
        // the shares are folders of this run's own copy of the template: the guest may write to them
        sc.sharedFolders().forEach((share, rel) -> r.hostPath(share, copy.resolve(rel).toString())
                .allowWritableShare(share));
        r.keepOnFailure(settings.keepOnFailure());
        if (settings.readyTimeout() != null) {
            r.readyTimeout(settings.readyTimeout());
        }
        // the output of provisioning, and each step's duration: a slow scenario shows where its time went
        r.progress(e -> {
            String line = switch (e.kind()) {
                case OUTPUT -> e.step() + ": " + e.message();
                case STEP_FINISHED, STEP_FAILED -> "== " + e.step() + (e.kind() == ProgressEvent.Kind.STEP_FAILED
                        ? " failed after " : " done in ") + e.elapsed().toMillis() + " ms";
                default -> null;
            };
            if (line != null) {
                synchronized (provisioning) {
                    provisioning.addLast(line);
                    if (provisioning.size() > KEEP_LINES) {
                        // the oldest output line goes; the few step lines stay
                        for (Iterator<String> it = provisioning.iterator(); it.hasNext(); ) {
                            if (!it.next().startsWith("== ")) {
                                it.remove();
                                break;
                            }
                        }
                    }
                }
            }
        });
        return r.build();
    }

    private CheckResult check(Vm vm, Scenario sc, String check) throws VboxmcpException {
        long start = System.nanoTime();
        GuestCommand cmd = GuestCommand.of("sh ./" + check).withWorkingDir(TestScenarios.GUEST_DIR)
                .withEnvironment(sc.environment()).withTimeout(settings.checkTimeout());
        ExecResult r = vm.exec(cmd);
        String out = r.stdout() + (r.stderr().isEmpty() ? "" : (r.stdout().isEmpty() ? "" : "\n") + r.stderr());
        return new CheckResult(check, r.exitCode(), r.timedOut(), out, elapsed(start));
    }

    private record Verdict(boolean met, String message) {
    }

    /** Compares what happened with what the scenario expects, in words a summary can print. */
    static Verdict evaluate(Scenario sc, String step, String code, List<CheckResult> checks) {
        TestScenarios.Expectation x = sc.expect();
        Optional<CheckResult> firstFailed = checks.stream().filter(c -> !c.passed()).findFirst();
        if (x.outcome() == Outcome.CREATE_FAILS) {
            if (step == null) {
                return new Verdict(false, "expected the create to fail at '" + x.step() + "', but it succeeded");
            }
            if (!x.step().equals(step) || (x.error() != null && !x.error().equals(code))) {
                return new Verdict(false, "expected the create to fail at '" + x.step() + "'"
                        + (x.error() == null ? "" : " with " + x.error()) + ", but it failed at '" + step + "' with " + code);
            }
            return new Verdict(true, "create failed at '" + step + "' with " + code + ", as expected");
        }
        if (step != null) {
            return new Verdict(false, "create failed at '" + step + "' with " + code);
        }
        if (x.outcome() == Outcome.CHECK_FAILS) {
            Optional<CheckResult> named = checks.stream().filter(c -> c.name().equals(x.check())).findFirst();
            if (named.isEmpty() || named.get().passed()) {
                return new Verdict(false, "expected check " + x.check() + " to fail, but it passed");
            }
            Optional<CheckResult> other = checks.stream().filter(c -> !c.passed() && !c.name().equals(x.check()))
                    .findFirst();
            return other.map(c -> new Verdict(false, "check " + c.name() + " failed (" + exit(c) + ")"))
                    .orElseGet(() -> new Verdict(true, "check " + x.check() + " failed (" + exit(named.get())
                            + "), as expected"));
        }
        return firstFailed.map(c -> new Verdict(false, "check " + c.name() + " failed (" + exit(c) + ")"))
                .orElseGet(() -> new Verdict(true, checks.size() + " check(s) passed"));
    }

    private static String exit(CheckResult c) {
        return c.timedOut() ? "timed out" : "exit " + c.exitCode();
    }

    /** Copies regular files and folders; links are not followed (and not copied). */
    static void copyTree(Path from, Path to) throws IOException {
        try (java.util.stream.Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(q);
                } else if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.copy(p, q, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    private static long elapsed(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
