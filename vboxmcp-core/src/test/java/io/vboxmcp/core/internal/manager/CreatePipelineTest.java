package io.vboxmcp.core.internal.manager;

import io.vboxmcp.AuditLog;
import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmState;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.HypervisorDriverFactory;
import io.vboxmcp.spi.ProviderContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The create pipeline end to end with a recording driver and a stub SSH guest: every step's failure leaves no
 * machine, VM folder, temporary file or lock behind (LCY rows of threats.md), and the audit chain records it.
 */
class CreatePipelineTest {
    @TempDir
    Path tmp;
    private Path home;
    private RecordingHypervisorDriver driver;
    private StubGuestSsh guest;
    private final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        home = tmp.resolve("home");
        driver = new RecordingHypervisorDriver();
        guest = new StubGuestSsh(tmp.resolve("guest-hostkey"));
        driver.sshPort = guest.port();
        writeCatalog();
        writeTemplate("demo", "1.0.0", "scripts:\n  - name: hello\n    command: echo hello\n    run_as: developer\n"
                + "    working_dir: /srv/app\nports: [8000]\nenvironment:\n  GREETING: \"hi\"\n");
        writeTemplate("broken-script", "1.0.0", "scripts:\n  - name: breaks\n    command: FAIL_ME now\n"
                + "  - name: after\n    command: echo never\n");
        writeTemplate("big", "1.0.0", "min_ram: 99999999\n");
        writeTemplate("no-image", "1.0.0", "", "unknown-image:9");
        Path invalid = Files.createDirectories(home.resolve("templates/invalid/1.0.0"));
        Files.writeString(invalid.resolve("template-definition.yaml"), "name: invalid\nversion: \"1.0.0\"\n"
                + "base_image: \"test-image:1\"\nports: [0]\n");
    }

    @AfterEach
    void tearDown() throws IOException {
        guest.close();
    }

    private void writeCatalog() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        byte[] disk = "not really a disk".getBytes(StandardCharsets.UTF_8);
        Files.write(images.resolve("disk.qcow2"), disk);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(disk));
        Files.writeString(images.resolve("catalog.json"), "{\"catalogVersion\":1,\"images\":[{\"reference\":\"test-image:1\","
                + "\"disk\":{\"url\":\"disk.qcow2\",\"format\":\"raw\",\"sha256\":\"" + sha + "\",\"size\":" + disk.length
                + "}}]}");
    }

    private void writeTemplate(String name, String version, String extra) throws IOException {
        writeTemplate(name, version, extra, "test-image:1");
    }

    private void writeTemplate(String name, String version, String extra, String image) throws IOException {
        Path dir = Files.createDirectories(home.resolve("templates").resolve(name).resolve(version));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: " + name + "\nversion: \"" + version + "\"\n"
                + "base_image: \"" + image + "\"\n" + extra);
    }

    private VmManager manager() throws VboxmcpException {
        return VmManager.builder().home(home).discoverProviders(false).addDriver(driver.factory())
                .property(CoreKeys.IMAGE_CATALOG, tmp.resolve("images/catalog.json").toUri().toString())
                .property(CoreKeys.READY_TIMEOUT, "3")
                .progress(events::add)
                .build();
    }

    private static CreateVmRequest request(String vm, String template) throws VboxmcpException {
        return CreateVmRequest.builder(vm, TemplateRef.parse(template)).build();
    }

    /** Everything a failed create might leave behind. */
    private void assertNothingLeft(String vm) throws IOException {
        assertThat(driver.live).as("no machine left on the hypervisor").isEmpty();
        assertThat(home.resolve("vms").resolve(vm)).as("no VM folder left").doesNotExist();
        if (Files.exists(home.resolve("tmp"))) {
            try (Stream<Path> s = Files.list(home.resolve("tmp"))) {
                assertThat(s.toList()).as("no temporary files left").isEmpty();
            }
        }
    }

    @Test
    void create_provisionsInOrderAndRecordsEverything() throws Exception {
        try (VmManager m = manager()) {
            Vm vm = m.createFromTemplate("vm1", "demo", "^1.0", Map.of("memory", 1024, "cpus", 1));
            assertThat(vm.state()).isEqualTo(VmState.RUNNING);
            assertThat(vm.plan().memoryMb()).isEqualTo(1024);
            assertThat(vm.forwardedPorts()).containsEntry(8000, 40000);
            assertThat(vm.sshEndpoint().port()).isEqualTo(guest.port());
            assertThat(vm.sshEndpoint().hostKeyPin()).startsWith("SHA256:");
            assertThat(driver.lastSpec.sshPublicKey()).startsWith("ssh-ed25519 ");
            assertThat(driver.lastSpec.image().reference()).isEqualTo("test-image:1");
            assertThat(guest.commands).anyMatch(c -> c.contains("su -s /bin/sh developer") && c.contains("echo hello")
                    && c.contains("/srv/app") && c.contains("GREETING"));
            assertThat(events).filteredOn(e -> e.kind() == ProgressEvent.Kind.STEP_FINISHED).extracting(ProgressEvent::step)
                    .containsSubsequence("resolve", "fetch", "verify", "load", "plan", "image", "create", "start",
                            "guest-ready", "provision");
            assertThat(m.vm("vm1")).isPresent();
            assertThat(m.vms()).extracting(Vm::name).containsExactly("vm1");
            vm.destroy();
            vm.destroy();  // idempotent on one handle (LCY-14 has the half-created case)
            assertThat(vm.state()).isEqualTo(VmState.DESTROYED);
            assertNothingLeft("vm1");
            assertThat(m.vm("vm1")).isEmpty();
            assertThat(m.audit().verify()).isEmpty();
            List<String> audit = Files.readAllLines(home.resolve("audit.log"));
            assertThat(audit.get(0)).contains("\"action\":\"vm.create\"", "\"outcome\":\"ok\"", "\"digest\":\"sha256:",
                    "\"template\":\"demo\"", "\"version\":\"1.0.0\"");
            assertThat(audit.get(1)).contains("\"action\":\"vm.destroy\"");
        }
    }

    @ParameterizedTest(name = "fault at {0}")
    @CsvSource({
            "resolve, missing@1.0.0, TEMPLATE_NOT_FOUND",
            "resolve, demo@^2.0, VERSION_NOT_FOUND",
            "load, invalid@1.0.0, TEMPLATE_INVALID",
            "plan, big@1.0.0, RESOURCE_LIMIT",
            "image, no-image@1.0.0, TEMPLATE_NOT_FOUND",
            "create, demo@1.0.0, HYPERVISOR",
            "start, demo@1.0.0, HYPERVISOR",
            "guest-ready, demo@1.0.0, TIMEOUT",
            "provision, broken-script@1.0.0, PROVISIONING"})
    void create_faultAtEachStepLeavesNothingBehind_LCY01(String step, String template, String code) throws Exception {
        if (step.equals("create") || step.equals("start")) {
            driver.failAt = step;
        }
        if (step.equals("guest-ready")) {
            guest.close();
        }
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.createFromTemplate(request("vm1", template)))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.step()).as("the error names the step").contains(step);
                        if (!step.equals("image")) {
                            assertThat(e.code()).isEqualTo(ErrorCode.valueOf(code));
                        }
                    });
            assertNothingLeft("vm1");
            assertThat(m.audit().verify()).isEmpty();
            String last = Files.readAllLines(home.resolve("audit.log")).get(0);
            // a refused template (invalid, over the limits) is a deny record; a failing step is a failed one
            String outcome = code.equals("TEMPLATE_INVALID") || code.equals("RESOURCE_LIMIT") ? "deny" : "failed";
            assertThat(last).contains("\"outcome\":\"" + outcome + "\"", "\"step\":\"" + step + "\"");
        }
        if (step.equals("provision")) {
            assertThat(guest.commands).noneMatch(c -> c.contains("echo never"));
        }
    }

    @Test
    void create_failingScriptNamesScriptExitCodeAndOutput_LCY02() throws Exception {
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.createFromTemplate(request("vm1", "broken-script")))
                    .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                        assertThat(e.item()).isEqualTo("breaks");
                        assertThat(e.exitCode()).isEqualTo(9);
                        assertThat(e.lastOutput()).contains("it failed");
                    });
            assertThat(driver.calls).contains("destroy vm1");
            assertNothingLeft("vm1");
        }
    }

    @Test
    void create_keepOnFailureKeepsTheVmMarkedFailed_LCY03() throws Exception {
        try (VmManager m = manager()) {
            CreateVmRequest r = CreateVmRequest.builder("vm1", TemplateRef.parse("broken-script")).keepOnFailure(true).build();
            assertThatThrownBy(() -> m.createFromTemplate(r)).isInstanceOf(ProvisioningException.class);
            assertThat(driver.live).containsKey("vm1");
            assertThat(Files.readString(home.resolve("vms/vm1/vm.json"))).contains("\"state\" : \"FAILED\"");
            Vm kept = m.vm("vm1").orElseThrow();
            kept.destroy();
            assertNothingLeft("vm1");
        }
    }

    @Test
    void destroy_halfCreatedVmTwiceThroughTwoHandles_bothSucceed_LCY14() throws Exception {
        try (VmManager m = manager()) {
            // half-created: the machine exists, provisioning failed, the VM is kept as FAILED
            CreateVmRequest r = CreateVmRequest.builder("vm1", TemplateRef.parse("broken-script")).keepOnFailure(true).build();
            assertThatThrownBy(() -> m.createFromTemplate(r)).isInstanceOf(ProvisioningException.class);
            Vm first = m.vm("vm1").orElseThrow();
            Vm second = m.vm("vm1").orElseThrow();
            assertThat(Files.readString(home.resolve("vms/vm1/vm.json"))).contains("\"state\" : \"FAILED\"");
            first.destroy();
            assertNothingLeft("vm1");
            // the second handle still believes in the machine: its destroy finds nothing and succeeds
            second.destroy();
            second.destroy();
            assertNothingLeft("vm1");
            assertThat(driver.calls.stream().filter(c -> c.startsWith("destroy")).count())
                    .as("the hypervisor was asked, not skipped").isGreaterThanOrEqualTo(2);
            assertThat(m.audit().verify()).isEmpty();
        }
    }

    @Test
    void create_scriptAskingForHostExecution_isRefusedBeforeAnythingRuns_EXE01() throws Exception {
        // Packer's shell-local: a template may not ask for its script to run on the host
        writeTemplate("local-exec", "1.0.0", "scripts:\n  - name: on-the-host\n    command: touch "
                + tmp.resolve("host-marker") + "\n    local: true\n");
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.createFromTemplate(request("vm1", "local-exec")))
                    .isInstanceOfSatisfying(io.vboxmcp.TemplateValidationException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.TEMPLATE_INVALID);
                        assertThat(e.violations()).anySatisfy(v -> assertThat(v.pointer()).contains("local"));
                    });
            assertNothingLeft("vm1");
            assertThat(driver.calls).isEmpty();
        }
        assertThat(tmp.resolve("host-marker")).doesNotExist();
        // the same command without the field runs, and only in the guest (over SSH), never on the host
        writeTemplate("guest-exec", "1.0.0", "scripts:\n  - name: in-the-guest\n    command: touch "
                + tmp.resolve("host-marker") + "\n");
        try (VmManager m = manager()) {
            m.createFromTemplate(request("vm2", "guest-exec")).destroy();
        }
        assertThat(guest.commands).anyMatch(c -> c.contains("touch " + tmp.resolve("host-marker")));
        assertThat(tmp.resolve("host-marker")).as("nothing ran on the host").doesNotExist();
    }

    @Test
    void create_secretEnvironmentValue_neverReachesAuditOrProgress_EXE07() throws Exception {
        String secret = "s3cr3t-value-" + System.nanoTime();
        writeTemplate("secretive", "1.0.0", "environment:\n  API_TOKEN: \"" + secret + "\"\n  DB_PASSWORD: \""
                + secret + "-db\"\nscripts:\n  - name: uses-it\n    command: FAIL_ME with \"$API_TOKEN\"\n");
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.createFromTemplate(request("vm1", "secretive")))
                    .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                        assertThat(e.getMessage()).doesNotContain(secret);
                        assertThat(String.valueOf(e.lastOutput())).doesNotContain(secret);
                    });
            assertNothingLeft("vm1");
        }
        assertThat(guest.commands).as("the guest does get the value").anyMatch(c -> c.contains(secret));
        assertThat(Files.readString(home.resolve("audit.log"))).doesNotContain(secret);
        assertThat(events).allSatisfy(ev -> assertThat(String.valueOf(ev.message())).doesNotContain(secret));
    }

    @Test
    void create_refusesExistingNameAndLeavesTheVmAlone_LCY07() throws Exception {
        try (VmManager m = manager()) {
            Vm first = m.createFromTemplate(request("vm1", "demo"));
            assertThatThrownBy(() -> m.createFromTemplate(request("vm1", "demo")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.VM_EXISTS));
            assertThat(first.state()).isEqualTo(VmState.RUNNING);
            assertThat(driver.calls).containsOnlyOnce("create vm1");
            first.destroy();
        }
    }

    @Test
    void create_sameNameFromTwoThreads_exactlyOneWins_LCY08() throws Exception {
        try (VmManager m = manager()) {
            CyclicBarrier barrier = new CyclicBarrier(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<String>> fs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                fs.add(pool.submit((Callable<String>) () -> {
                    barrier.await();
                    try {
                        m.createFromTemplate(request("same", "demo"));
                        return "OK";
                    } catch (VboxmcpException e) {
                        return e.code().name();
                    }
                }));
            }
            List<String> outcomes = new ArrayList<>();
            for (Future<String> f : fs) {
                outcomes.add(f.get(120, TimeUnit.SECONDS));
            }
            pool.shutdown();
            assertThat(outcomes).containsOnlyOnce("OK");
            assertThat(outcomes).anyMatch(o -> o.equals("VM_EXISTS") || o.equals("LOCKED"));
            m.vm("same").orElseThrow().destroy();
        }
    }

    @Test
    void create_interruptedWhileWaitingForTheGuestCleansUp_LCY06() throws Exception {
        guest.close();
        try (VmManager m = VmManager.builder().home(home).discoverProviders(false).addDriver(driver.factory())
                .property(CoreKeys.IMAGE_CATALOG, tmp.resolve("images/catalog.json").toUri().toString())
                .property(CoreKeys.READY_TIMEOUT, "120").build()) {
            Thread caller = Thread.currentThread();
            ExecutorService interrupter = Executors.newSingleThreadExecutor();
            interrupter.submit(() -> {
                while (!driver.live.containsValue(VmState.RUNNING)) {
                    Thread.onSpinWait();
                }
                caller.interrupt();
            });
            assertThatThrownBy(() -> m.createFromTemplate(request("vm1", "demo")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED));
            assertThat(Thread.interrupted()).as("the interrupt stays visible to the caller").isTrue();
            interrupter.shutdownNow();
            assertNothingLeft("vm1");
        }
    }

    @Test
    void build_rollsBackACreateThatWasKilledHalfWay_LCY05() throws Exception {
        try (VmManager m = manager()) {
            m.createFromTemplate(request("vm1", "demo"));
        }
        // a process killed after MACHINE and before COMMIT leaves this journal behind
        Path journal = home.resolve("vms/vm1/journal");
        Files.writeString(journal, "BEGIN\nMACHINE\n");
        assertThat(driver.live).containsKey("vm1");
        try (VmManager m = manager()) {
            assertNothingLeft("vm1");
            assertThat(Files.readString(home.resolve("audit.log"))).contains("\"action\":\"vm.recover\"");
        }
    }

    @Test
    void create_failedCleanupIsReportedNotHidden_LCY04() throws Exception {
        driver.failAt = "destroy";
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.createFromTemplate(request("vm1", "broken-script")))
                    .isInstanceOfSatisfying(ProvisioningException.class, e -> assertThat(e.getSuppressed())
                            .anySatisfy(s -> assertThat(s).hasMessageContaining("injected failure at destroy")));
        }
    }

    @Test
    void build_reportsBrokenProviderAndKeepsTheOthers() throws Exception {
        HypervisorDriverFactory broken = new HypervisorDriverFactory() {
            @Override
            public String id() {
                return "broken";
            }

            @Override
            public int priority() {
                return 5000;
            }

            @Override
            public Optional<String> unavailableReason(ProviderContext context) {
                throw new IllegalStateException("probe exploded");
            }

            @Override
            public HypervisorDriver create(ProviderContext context) {
                throw new IllegalStateException("never");
            }
        };
        try (VmManager m = VmManager.builder().home(home).discoverProviders(false).addDriver(broken)
                .addDriver(driver.factory())
                .property(CoreKeys.IMAGE_CATALOG, tmp.resolve("images/catalog.json").toUri().toString()).build()) {
            Vm vm = m.createFromTemplate(request("vm1", "demo"));
            assertThat(vm.plan().driverId()).isEqualTo("recording");
            assertThat(m.providerProblems()).anySatisfy(p -> assertThat(p.reason()).contains("probe exploded"));
            vm.destroy();
        }
    }

    @Test
    void plan_isADryRunThatCreatesNothing() throws Exception {
        try (VmManager m = manager()) {
            var plan = m.plan(request("vm1", "demo"));
            assertThat(plan.describe()).contains("template:  demo@1.0.0", "port:      guest 8000");
            assertThat(driver.calls).isEmpty();
            assertNothingLeft("vm1");
        }
    }

    @Test
    void audit_verifyDetectsAFlippedByteAfterRealOperations_AUD02() throws Exception {
        try (VmManager m = manager()) {
            m.createFromTemplate(request("vm1", "demo")).destroy();
            m.createFromTemplate(request("vm2", "demo")).destroy();
            Path log = home.resolve("audit.log");
            byte[] b = Files.readAllBytes(log);
            int i = new String(b, StandardCharsets.UTF_8).indexOf("vm2");
            b[i + 2] = '3';
            Files.write(log, b);
            Optional<AuditLog.BadRecord> bad = m.audit().verify();
            assertThat(bad).isPresent();
            assertThat(bad.get().seq()).isEqualTo(3);
        }
    }

    @Test
    void sourcesFile_folderSourceAllowedUnsignedServesTemplatesWithoutLeakingTheOption() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("team-templates/team-tpl/2.0.0"));
        Files.writeString(folder.resolve("template-definition.yaml"), "name: team-tpl\nversion: \"2.0.0\"\n"
                + "description: from the team folder\nbase_image: \"test-image:1\"\n");
        new SourcesFile(home).put(new io.vboxmcp.SourceConfig("team", tmp.resolve("team-templates").toUri(), 10,
                Map.of(SourcesFile.ALLOW_UNSIGNED, "true")));
        VmManager m = VmManager.builder().home(home).addDriver(driver.factory())
                .property(CoreKeys.IMAGE_CATALOG, tmp.resolve("images/catalog.json").toUri().toString()).build();
        try (m) {
            assertThat(m.sources()).extracting(io.vboxmcp.SourceConfig::id).containsExactly("local", "team");
            assertThat(m.sources().get(1).options()).doesNotContainKey(SourcesFile.ALLOW_UNSIGNED);
            assertThat(m.resolve(TemplateRef.parse("team-tpl@^2"))).extracting(VmManager.ResolvedTemplate::sourceId)
                    .isEqualTo("team");
            assertThat(m.search("team folder")).extracting(i -> i.name()).containsExactly("team-tpl");
            Vm vm = m.createFromTemplate(request("vm-team", "team-tpl"));
            assertThat(vm.plan().template().version().toString()).isEqualTo("2.0.0");
            vm.destroy();
        }
    }

    @Test
    void sourcesFile_thresholdReachesTheTrustPolicy_unsignedTemplateRefusedBeforeAnyVmWork() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("team-templates/team-tpl/2.0.0"));
        Files.writeString(folder.resolve("template-definition.yaml"), "name: team-tpl\nversion: \"2.0.0\"\n"
                + "description: from the team folder\nbase_image: \"test-image:1\"\n");
        SourcesFile file = new SourcesFile(home);
        assertThatThrownBy(() -> file.put(new io.vboxmcp.SourceConfig("team", tmp.resolve("team-templates").toUri(), 10,
                Map.of(SourcesFile.THRESHOLD, "0"))))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(home.resolve("sources.json")).as("a bad threshold writes nothing").doesNotExist();
        // allowed unsigned, but a threshold of 2 means two signers are required
        file.put(new io.vboxmcp.SourceConfig("team", tmp.resolve("team-templates").toUri(), 10,
                Map.of(SourcesFile.ALLOW_UNSIGNED, "true", SourcesFile.THRESHOLD, "2")));
        assertThat(Files.readString(home.resolve("sources.json"))).containsPattern("\"threshold\"\\s*:\\s*2");
        assertThat(file.read().get(0).options()).containsEntry(SourcesFile.THRESHOLD, "2");
        VmManager m = VmManager.builder().home(home).addDriver(driver.factory())
                .property(CoreKeys.IMAGE_CATALOG, tmp.resolve("images/catalog.json").toUri().toString()).build();
        try (m) {
            assertThat(m.sources().get(1).options()).doesNotContainKeys(SourcesFile.ALLOW_UNSIGNED, SourcesFile.THRESHOLD);
            assertThatThrownBy(() -> m.createFromTemplate(request("vm-team", "team-tpl")))
                    .isInstanceOfSatisfying(io.vboxmcp.SignatureVerificationException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.UNTRUSTED);
                        assertThat(e.getMessage()).contains("requires 2 signers");
                    });
            assertThat(driver.calls).isEmpty();
            assertNothingLeft("vm-team");
        }
    }

    @Test
    void create_failsClosedWhenTheAuditLogCannotBeWritten_AUD07() throws Exception {
        Files.createDirectories(home.resolve("audit.log"));  // a folder where the log should be: every append fails
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.createFromTemplate(request("vm1", "demo")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.AUDIT));
            assertThat(driver.calls).contains("create vm1", "destroy vm1");
            assertNothingLeft("vm1");
        }
    }

    @Test
    void build_refusesMalformedConfigurationWithATypedError() {
        assertThatThrownBy(() -> VmManager.builder().home(home).discoverProviders(false)
                .property(CoreKeys.LOCK_TIMEOUT, "ten").build())
                .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("lock.timeout", "'ten'");
                });
    }

    @Test
    void closedManagerRefusesUse() throws Exception {
        VmManager m = manager();
        m.close();
        m.close();
        assertThatThrownBy(() -> m.createFromTemplate(request("vm1", "demo"))).isInstanceOf(IllegalStateException.class);
    }
}
