package io.vboxmcp.cli.internal;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.core.internal.template.TestScenarios;
import io.vboxmcp.core.internal.template.TestScenarios.Scenario;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --ready-timeout} of {@code test} (and of {@code create}, which shares the option) in this JVM, without a VM:
 * parsed by picocli as the launcher does, it reaches every scenario's create request; a bad value is a usage error.
 */
class CliReadyTimeoutTest {
    static final Path WEB_DEMO = Fixtures.EXAMPLE_TEMPLATE;

    @TempDir
    Path tmp;

    @Test
    void test_readyTimeout_reachesEveryScenariosCreateRequest() throws Exception {
        CreateVmRequest given = defaultScenarioRequest("--ready-timeout", "900");
        assertThat(given.readyTimeout()).isEqualTo(Duration.ofSeconds(900));
        CreateVmRequest absent = defaultScenarioRequest();
        assertThat(absent.readyTimeout()).as("the manager's default (ready.timeout, $VBOXMCP_READY_TIMEOUT)").isNull();
    }

    @Test
    void test_readyTimeoutBelowOneOrNotANumber_isAUsageError_beforeAnythingIsRead() {
        for (String bad : new String[] {"0", "-3"}) {
            Run r = run("test", WEB_DEMO.toString(), "--ready-timeout", bad);
            assertThat(r.exit).as(r.err).isEqualTo(Main.USAGE);
            assertThat(r.err).contains("--ready-timeout must be a positive number of seconds, not " + bad);
        }
        Run word = run("test", WEB_DEMO.toString(), "--ready-timeout", "soon");
        assertThat(word.exit).as(word.err).isEqualTo(Main.USAGE);
        assertThat(word.err).contains("--ready-timeout").contains("soon");
        assertThat(tmp.resolve("home")).as("nothing written").doesNotExist();
    }

    @Test
    void create_sharesTheOptionAndItsCheck() {
        Run r = run("create", "vm1", "--template", "web-demo", "--ready-timeout", "0");
        assertThat(r.exit).as(r.err).isEqualTo(Main.USAGE);
        assertThat(r.err).contains("--ready-timeout must be a positive number of seconds, not 0");
        assertThat(tmp.resolve("home")).as("refused before a manager exists").doesNotExist();
    }

    /** The request {@code vboxmcp test WEB_DEMO OPTIONS} makes for web-demo's default scenario. */
    private CreateVmRequest defaultScenarioRequest(String... options) throws Exception {
        String[] args = new String[options.length + 2];
        args[0] = "test";
        args[1] = WEB_DEMO.toString();
        System.arraycopy(options, 0, args, 2, options.length);
        CommandLine.ParseResult parsed = new CommandLine(new VboxmcpCommand()).parseArgs(args);
        TestCommand cmd = (TestCommand) parsed.subcommand().commandSpec().userObject();
        ScenarioRunner runner = new ScenarioRunner(cmd.settings(tmp.resolve("home"), WEB_DEMO, tmp.resolve("work"),
                PackageMirrors.NONE));
        Scenario sc = TestScenarios.load(WEB_DEMO).stream().filter(s -> s.name().equals("default")).findFirst()
                .orElseThrow();
        return runner.request(sc, ScenarioRunner.VM_PREFIX + sc.name(), TemplateRef.of("web-demo", "1.0.0"),
                tmp.resolve("copy"), new ArrayDeque<>());
    }

    private record Run(int exit, String err) { }

    private Run run(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--home";
        all[1] = tmp.resolve("home").toString();
        System.arraycopy(args, 0, all, 2, args.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, err.toString(StandardCharsets.UTF_8));
    }
}
