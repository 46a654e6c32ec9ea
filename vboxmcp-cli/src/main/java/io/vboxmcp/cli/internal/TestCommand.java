package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.cli.internal.ScenarioRunner.Result;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.template.TestScenarios;
import io.vboxmcp.core.internal.template.TestScenarios.Scenario;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.template.TemplateDefinition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** {@code vboxmcp test DIR|NAME[@RANGE]}: runs a template's test scenarios, each in a throw-away VM of its own. */
@Command(name = "test", sortOptions = false,
        description = {"Runs a template's tests: for each scenario of tests/scenarios.yaml (or one 'default' scenario)",
                "a throw-away VM in an isolated sub-home with restricted networking, the checks tests/*.sh in the",
                "guest, the console log and outputs collected, then destroy. Exit 0 only if every scenario met its",
                "expectation (expected failures included). Package mirrors (--apt-mirror, --pip-index, ...) are",
                "given as for create (10.0.2.2 is the host); restricted scenarios reach them through a relay at",
                "10.0.2.100. See docs/templates.md#testing-templates."})
final class TestCommand extends VboxmcpCommand.Sub {
    @Parameters(index = "0", paramLabel = "DIR|NAME[@RANGE]", description = "A template folder, or a template of the "
            + "local repository.")
    String target;

    @Option(names = "--report", paramLabel = "DIR", description = "Write JUnit XML (TEST-vboxmcp-<template>.xml) and "
            + "each scenario's console, provisioning and check output into DIR.")
    Path report;

    @Option(names = "--keep-on-failure", description = "Leave the VM of a scenario that missed its expectation running "
            + "(and its sub-home) and print how to reach it.")
    boolean keepOnFailure;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "2", description = "Scenarios run at the same time "
            + "(1-16, default ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--scenario", paramLabel = "NAME", description = "Run only this scenario (repeatable).")
    List<String> only = new ArrayList<>();

    @Option(names = "--image-catalog", paramLabel = "FILE|URL", description = "Image catalog consulted first "
            + "(repeatable; default $VBOXMCP_IMAGE_CATALOG).")
    List<String> catalogs = new ArrayList<>();

    @Option(names = "--driver", paramLabel = "ID", description = "Hypervisor driver (default: the best available).")
    String driver;

    @Option(names = "--check-timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "How long one check may run (default ${DEFAULT-VALUE}).")
    int checkTimeout;

    @Mixin
    ReadyTimeoutOption readyTimeout = new ReadyTimeoutOption();

    @Mixin
    MirrorOptions mirrorOptions = new MirrorOptions();

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where the scenarios' sub-homes go (default: a new "
            + "temporary folder, removed afterwards).")
    Path workDir;

    @Override
    int run(Session s) throws Exception {
        if (parallel < 1 || parallel > 16) {
            throw usage("--parallel must be between 1 and 16, not " + parallel);
        }
        if (checkTimeout < 1) {
            throw usage("--check-timeout must be a positive number of seconds");
        }
        readyTimeout.duration();   // refused before the template is even read, as for create
        Path dir = templateDir(s);
        // the loader, not a manager: testing a folder must not even create the caller's home
        TemplateDefinition def = TemplateLoader.standard().load(dir);
        List<Scenario> scenarios = new ArrayList<>();
        for (Scenario sc : TestScenarios.load(dir)) {
            if (only.isEmpty() || only.contains(sc.name())) {
                scenarios.add(sc);
            }
        }
        if (scenarios.isEmpty()) {
            throw usage("no scenario named " + String.join(", ", only) + " in " + dir);
        }
        if (scenarios.stream().allMatch(sc -> sc.checks().isEmpty()) && TestScenarios.checks(dir).isEmpty()) {
            s.warn(def.coordinates() + " has no checks (tests/*.sh): only the create is tested");
        }
        PackageMirrors mirrors = mirrorOptions.mirrors();
        for (Scenario sc : scenarios) {
            if (sc.restricted()) {
                try {
                    RestrictedMirrors.of(mirrors, sc.mirrors());   // refused before any VM starts, not per scenario
                } catch (VboxmcpException e) {
                    throw new VboxmcpException(e.code(), "scenario '" + sc.name() + "' (restricted network): "
                            + e.getMessage());
                }
            }
        }
        boolean ownWork = workDir == null;
        Path work = ownWork ? Files.createTempDirectory("vboxmcp-test-") : Files.createDirectories(workDir);
        ScenarioRunner runner = new ScenarioRunner(settings(s.home(), dir, work, mirrors));
        s.say("testing " + def.coordinates() + ": " + scenarios.size() + " scenario(s), up to " + parallel
                + " at a time");
        List<Result> results = runAll(s, runner, scenarios);
        if (ownWork && results.stream().noneMatch(r -> r.keptHint() != null)) {
            AtomicFiles.deleteTree(work);
        }
        return report(s, def, results);
    }

    /** @return how every scenario of this run is created and checked, from the options given */
    ScenarioRunner.Settings settings(Path userHome, Path dir, Path work, PackageMirrors mirrors)
            throws VboxmcpException {
        return new ScenarioRunner.Settings(userHome, dir.toAbsolutePath(), work.toAbsolutePath(),
                VmCommands.catalogUris(catalogs), driver, Duration.ofSeconds(checkTimeout), keepOnFailure, mirrors,
                readyTimeout.duration());
    }

    private List<Result> runAll(Session s, ScenarioRunner runner, List<Scenario> scenarios)
            throws InterruptedException, ExecutionException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(parallel, scenarios.size()), r -> {
            Thread t = new Thread(r, "vboxmcp-test");
            t.setDaemon(true);
            return t;
        });
        // Ctrl-C or SIGTERM: interrupted creates roll back and interrupted checks end in the runner's destroy, so
        // the JVM waits for that instead of leaving VMs in sub-homes nobody opens again
        Thread hook = new Thread(() -> {
            pool.shutdownNow();
            try {
                pool.awaitTermination(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "vboxmcp-test-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            List<Future<Result>> futures = new ArrayList<>();
            for (Scenario sc : scenarios) {
                futures.add(pool.submit(() -> runner.run(sc, line -> {
                    if (s.verbose()) {
                        synchronized (s) {
                            s.err().println(Session.safe(line));
                        }
                    }
                })));
            }
            List<Result> results = new ArrayList<>();
            for (Future<Result> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for the scenarios
            }
        }
    }

    private int report(Session s, TemplateDefinition def, List<Result> results) throws Exception {
        long met = results.stream().filter(Result::met).count();
        ArrayNode arr = Json.arr();
        for (Result r : results) {
            s.result(String.format("%-4s %-24s %s (%.1f s)", r.met() ? "ok" : "FAIL", r.scenario().name(), r.message(),
                    r.millis() / 1000.0));
            if (!r.met()) {
                r.checks().stream().filter(c -> !c.passed()).forEach(c -> c.output().lines()
                        .reduce((a, b) -> b).ifPresent(last -> s.result("       " + c.name() + ": " + last)));
            }
            if (r.keptHint() != null) {
                s.result("       kept: " + r.keptHint());
            }
            ObjectNode o = arr.addObject().put("name", r.scenario().name()).put("met", r.met())
                    .put("expected", r.scenario().expect().describe()).put("result", r.message())
                    .put("millis", r.millis());
            ArrayNode checks = o.putArray("checks");
            r.checks().forEach(c -> checks.addObject().put("name", c.name()).put("exitCode", c.exitCode())
                    .put("passed", c.passed()));
        }
        s.result(def.coordinates() + ": " + results.size() + " scenario(s), " + met + " met their expectation, "
                + (results.size() - met) + " did not");
        if (report != null) {
            Path xml = JUnitReport.write(report, def.coordinates(), results);
            s.say("JUnit report: " + xml);
        }
        ObjectNode doc = Json.obj().put("template", def.coordinates());
        doc.set("scenarios", arr);
        s.emitJson(met == results.size(), doc);
        return met == results.size() ? 0 : 1;
    }

    /** A folder as given, else a template of the local repository (resolved in the caller's home). */
    private Path templateDir(Session s) throws VboxmcpException {
        Path p = Path.of(target);
        if (Files.isDirectory(p)) {
            return p;
        }
        TemplateRef ref;
        try {
            ref = TemplateRef.parse(target);
        } catch (VboxmcpException e) {
            throw usage(target + " is neither a folder nor NAME[@RANGE]: " + e.getMessage());
        }
        VmManager m = s.manager();
        VmManager.ResolvedTemplate r = m.resolve(ref);
        return m.templates().get(r.name(), r.version()).orElseThrow(() -> new TemplateNotFoundException(
                ErrorCode.TEMPLATE_NOT_FOUND, r.name() + "@" + r.version() + " is in source '" + r.sourceId()
                + "', not in the local repository: install it first (vboxmcp install)", null)).directory();
    }
}
