package io.vboxmcp.junit5;

import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmState;
import io.vboxmcp.junit5.internal.VmRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The extension's own lifecycle with real VMs of the busybox test guest: VMs are gone after their class, after a
 * failing test (whose report carries the console), and after a run that was killed or terminated.
 */
@Tag("vm")
class VmExtensionLifecycleTest {
    @TempDir
    static Path tmp;
    static Path home;
    static VmManager manager;

    @BeforeAll
    static void setUp() throws Exception {
        home = tmp.resolve("home");
        TestGuest.prepare(home);
        manager = VmManager.builder().home(home).build();
    }

    @AfterAll
    static void tearDown() {
        System.clearProperty(VmTest.HOME_PROPERTY);
        manager.close();
    }

    /** Run by the launcher below, not by the build: a class VM, a per-test VM, one test that fails. */
    @VmTest
    static class Subject {
        static final List<String> SEEN = new CopyOnWriteArrayList<>();

        @TemplateVm(template = "web-demo", version = "^1.0", waitFor = "http:8000/")
        static Vm shared;

        @TemplateVm(template = "web-demo", waitFor = {"port:8000", "command:wget -q -O /dev/null http://127.0.0.1:8000/", "log:vboxmcp-guest: up"})
        Vm perTest;

        @Test
        void failsWhileBothVmsRun() throws Exception {
            SEEN.add(shared.name());
            SEEN.add(perTest.name());
            assertThat(shared.state()).isEqualTo(VmState.RUNNING);
            assertThat(perTest.exec("wget -q -O - http://127.0.0.1:8000/").stdout()).contains("hello from web-demo");
            throw new AssertionError("deliberate failure");
        }
    }

    @Test
    void vmsAreDestroyedAfterTheClassAndAfterAFailingTest_whoseReportHasTheConsole() throws Exception {
        Map<String, String> entries = new ConcurrentHashMap<>();
        List<TestExecutionResult> results = new CopyOnWriteArrayList<>();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Subject.class))
                .build(), new TestExecutionListener() {
                    @Override
                    public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
                        entries.putAll(entry.getKeyValuePairs());
                    }

                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                        if (id.isTest()) {
                            results.add(result);
                        }
                    }
                });

        assertThat(Subject.SEEN).hasSize(2).allMatch(n -> n.startsWith(VmRegistry.LABEL));
        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
            assertThat(r.getThrowable().orElseThrow()).hasMessage("deliberate failure");
        });
        String perTest = Subject.SEEN.get(1);
        assertThat(entries.get("vboxmcp." + perTest + ".console")).as("console attached to the failed test")
                .contains("vboxmcp-guest: up");
        assertThat(entries).containsKey("vboxmcp." + Subject.SEEN.get(0) + ".console");
        assertThat(manager.vms()).as("no VM left after the class").isEmpty();
    }

    /** Run in a child JVM by the test below: one test that holds a VM until the JVM is stopped. */
    @VmTest
    static class Blocking {
        @TemplateVm(template = "web-demo")
        Vm vm;

        @Test
        void holdsTheVm() throws Exception {
            System.out.println("created " + vm.name());
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(10));
        }
    }

    /** The child JVM's entry point: runs {@link Blocking} through the JUnit launcher, as a build would. */
    public static void main(String[] args) {
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(Blocking.class)).build());
    }

    @Test
    void aKilledRunLeavesAVmThatTheNextRunSweeps() throws Exception {
        String name = startBlockingRunAndStopIt(true);
        assertThat(manager.vm(name)).as("SIGKILL: no hook ran, the VM is left").isPresent();
        assertThat(VmRegistry.get().sweep(manager)).containsExactly(name);
        assertThat(manager.vms()).isEmpty();
    }

    @Test
    void aTerminatedRunDestroysItsVmInTheShutdownHook() throws Exception {
        String name = startBlockingRunAndStopIt(false);
        assertThat(name).startsWith(VmRegistry.LABEL);
        assertThat(manager.vms()).as("SIGTERM: the shutdown hook destroyed the VM").isEmpty();
    }

    private static String startBlockingRunAndStopIt(boolean kill) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-D" + VmTest.HOME_PROPERTY + "=" + home, "-Dvboxmcp.image.catalog=" + System.getProperty("vboxmcp.image.catalog"),
                VmExtensionLifecycleTest.class.getName())
                .redirectError(tmp.resolve("child-" + kill + ".err").toFile()).start();
        String name = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.startsWith("created ")) {
                    name = line.substring("created ".length()).trim();
                    break;
                }
            }
            assertThat(name).as("the child created its VM (see " + tmp + File.separator + "child-" + kill + ".err)")
                    .isNotNull();
            if (kill) {
                child.destroyForcibly();
            } else {
                child.destroy();
            }
            assertThat(child.waitFor(2, TimeUnit.MINUTES)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        return name;
    }
}
