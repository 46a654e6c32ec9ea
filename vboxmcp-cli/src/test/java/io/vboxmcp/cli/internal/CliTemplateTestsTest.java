package io.vboxmcp.cli.internal;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code vboxmcp test} through the real launcher, with real busybox guests for the scenarios that boot. */
class CliTemplateTestsTest {
    @TempDir
    Path tmp;

    Launcher cli() {
        return new Launcher(tmp.resolve("home"));
    }

    static String catalog() throws Exception {
        return Fixtures.run(Launcher.ROOT, Launcher.ROOT.resolve("scripts/build-test-image.sh").toString()).trim()
                .lines().reduce((a, b) -> b).orElseThrow();
    }

    @Test
    @Tag("vm")
    void test_webDemoMeetsEveryScenarioIncludingItsExpectedFailures_andWritesJUnitXml() throws Exception {
        Map<String, String> homeBefore = Fixtures.snapshot(tmp.resolve("home"));
        Path report = tmp.resolve("report");
        Launcher.Result r = cli().run("test", Fixtures.EXAMPLE_TEMPLATE.toString(), "--image-catalog", catalog(),
                "--report", report.toString());
        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(r.out()).contains("ok   default", "2 check(s) passed")
                .contains("ok   wrong-greeting", "check web.sh failed (exit 1), as expected")
                .contains("ok   too-little-memory", "create failed at 'plan' with RESOURCE_LIMIT, as expected")
                .contains("web-demo@1.0.0: 3 scenario(s), 3 met their expectation, 0 did not");

        Map<String, Element> cases = testcases(report.resolve("TEST-vboxmcp-web-demo_1.0.0.xml"));
        assertThat(cases).containsOnlyKeys("default", "wrong-greeting", "too-little-memory");
        assertThat(cases.values()).allMatch(c -> c.getElementsByTagName("failure").getLength() == 0);
        assertThat(Files.readString(report.resolve("default/web.sh.log"))).contains("port 8000: hello from web-demo");
        assertThat(Files.readString(report.resolve("default/console.log"))).contains("vboxmcp-guest: up");
        assertThat(Files.readString(report.resolve("wrong-greeting/web.sh.log"))).contains("expected 'hello from somewhere else'");
        assertThat(Fixtures.snapshot(tmp.resolve("home"))).as("the user's home is not touched").isEqualTo(homeBefore);
    }

    @Test
    @Tag("vm")
    void test_brokenCopyExitsOne_namingTheFailingCheckAndTheMissedStepInJUnitXml_whileTheGuestReachesOnlyItsMirror()
            throws Exception {
        HttpServer mirror = serve("mirror-ok");
        HttpServer other = serve("host service");
        try {
            Path copy = Fixtures.templateCopy(tmp, "web-demo");
            Files.writeString(copy.resolve("tests/broken.sh"), "echo 'this check is broken on purpose'\nexit 3\n");
            // restricted networking: the declared mirror answers at 10.0.2.100, the host's other service does not
            Files.writeString(copy.resolve("tests/mirror.sh"), "wget -q -O - http://10.0.2.100:%d/ | grep -x mirror-ok\n"
                    .formatted(mirror.getAddress().getPort()));
            Files.writeString(copy.resolve("tests/isolated.sh"), """
                    if wget -q -O - http://10.0.2.2:%d/; then echo "reached the host"; exit 1; fi
                    echo "host unreachable"
                    """.formatted(other.getAddress().getPort()));
            Files.writeString(copy.resolve("tests/scenarios.yaml"), """
                    scenarios:
                      - name: default
                        mirrors: ["127.0.0.1:%d"]
                      - name: wrong-step
                        description: expects a failure at 'image' but the plan refuses first
                        memory: 128
                        expect: {outcome: create-fails, step: image}
                    """.formatted(mirror.getAddress().getPort()));
            Path report = tmp.resolve("report");
            Path work = tmp.resolve("work");
            Launcher.Result r = cli().run("test", copy.toString(), "--image-catalog", catalog(), "--report",
                    report.toString(), "--keep-on-failure", "--work-dir", work.toString());
            assertThat(r.exit()).as(r.show()).isEqualTo(1);
            // --keep-on-failure: the failed scenario's VM still runs, reachable as printed, then destroyed by hand
            Path kept = work.resolve("default/home");
            assertThat(r.out()).contains("kept: vboxmcp --home " + kept + " ssh test-default");
            Launcher keptCli = new Launcher(kept);
            Launcher.Result ssh = keptCli.run("ssh", "test-default", "--", "sh", "/var/lib/vboxmcp/template/tests/broken.sh");
            assertThat(ssh.exit()).as(ssh.show()).isEqualTo(3);
            assertThat(keptCli.run("destroy", "test-default").exit()).isZero();
            assertThat(work.resolve("wrong-step")).as("nothing kept where no VM was made").doesNotExist();
            assertThat(r.out()).contains("FAIL default", "check broken.sh failed (exit 3)")
                    .contains("broken.sh: this check is broken on purpose")
                    .contains("FAIL wrong-step", "expected the create to fail at 'image', but it failed at 'plan' with "
                            + "RESOURCE_LIMIT")
                    .contains("2 scenario(s), 0 met their expectation, 2 did not");

            Map<String, Element> cases = testcases(report.resolve("TEST-vboxmcp-web-demo_1.0.0.xml"));
            Element failure = (Element) cases.get("default").getElementsByTagName("failure").item(0);
            assertThat(failure.getAttribute("message")).isEqualTo("check broken.sh failed (exit 3)");
            assertThat(failure.getAttribute("type")).isEqualTo("check-failed");
            assertThat(((Element) cases.get("wrong-step").getElementsByTagName("failure").item(0)).getAttribute("message"))
                    .contains("expected the create to fail at 'image'");
            assertThat(Files.readString(report.resolve("default/broken.sh.log"))).contains("broken on purpose");
            assertThat(Files.readString(report.resolve("default/mirror.sh.log"))).isEqualTo("mirror-ok\n");
            assertThat(Files.readString(report.resolve("default/isolated.sh.log"))).contains("host unreachable");
        } finally {
            mirror.stop(0);
            other.stop(0);
        }
    }

    private static HttpServer serve(String body) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] b = (body + "\n").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
        return server;
    }

    @Test
    void test_pythonDevRefusesMemoryUnderMinRamAtPlan_asItsScenarioExpects_withoutBootingAnything() throws Exception {
        Launcher.Result r = cli().run("test", Launcher.ROOT.resolve("examples/templates/python-dev").toString(),
                "--scenario", "under-min-ram", "--json");
        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(r.json().path("scenarios").get(0).path("result").asText())
                .isEqualTo("create failed at 'plan' with RESOURCE_LIMIT, as expected");
        assertThat(tmp.resolve("home")).as("testing a folder does not create the caller's home").doesNotExist();

        // NAME[@RANGE]: the installed copy in the local repository
        assertThat(cli().run("install", Launcher.ROOT.resolve("examples/templates/python-dev").toString()).exit()).isZero();
        Map<String, String> home = Fixtures.snapshot(tmp.resolve("home"));
        Launcher.Result byName = cli().run("test", "python-dev@^1.0", "--scenario", "under-min-ram");
        assertThat(byName.exit()).as(byName.show()).isZero();
        assertThat(byName.out()).contains("python-dev@1.0.0: 1 scenario(s), 1 met their expectation");
        assertThat(Fixtures.snapshot(tmp.resolve("home"))).as("only read").isEqualTo(home);
        Launcher.Result missing = cli().run("test", "no-such-template@^2");
        assertThat(missing.exit()).as(missing.show()).isEqualTo(1);
        assertThat(missing.err()).contains("no-such-template");
    }

    @Test
    void test_takesCreatesMirrorOptions_andRefusesMirrorsARestrictedGuestCannotReach_beforeAnyVm() throws Exception {
        String pythonDev = Launcher.ROOT.resolve("examples/templates/python-dev").toString();
        Launcher.Result https = cli().run("test", pythonDev, "--pip-index", "https://pypi.example.org/simple/");
        assertThat(https.exit()).as(https.show()).isEqualTo(1);
        assertThat(https.err()).contains("scenario 'default' (restricted network): the pip index at pypi.example.org "
                + "is https");
        Launcher.Result orphan = cli().run("test", pythonDev, "--apt-suite", "bookworm");
        assertThat(orphan.exit()).as("the same checks as create: " + orphan.show()).isEqualTo(2);
        assertThat(orphan.err()).contains("need --apt-mirror");
        // an http mirror of the host is relayed: the run goes on to the scenario's own expectation
        Launcher.Result relayed = cli().run("test", pythonDev, "--scenario", "under-min-ram", "--pip-index",
                "http://10.0.2.2:8102/simple/", "--pip-trusted-host");
        assertThat(relayed.exit()).as(relayed.show()).isZero();
        assertThat(relayed.out()).contains("create failed at 'plan' with RESOURCE_LIMIT, as expected");
        assertThat(tmp.resolve("home")).as("nothing of the caller's").doesNotExist();
    }

    @Test
    void test_refusesAnInvalidScenariosFileWithLineAndColumn_beforeAnyVm() throws Exception {
        Path copy = Fixtures.templateCopy(tmp, "web-demo");
        Files.writeString(copy.resolve("tests/scenarios.yaml"), """
                scenarios:
                  - name: escape
                    shared_folders: {data: ../../etc}
                    checks: [missing.sh]
                    expect: {outcome: check-fails}
                """);
        Launcher.Result r = cli().run("test", copy.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.err()).contains("scenarios.yaml:5:").contains("/scenarios/0/expect");
        Files.writeString(copy.resolve("tests/scenarios.yaml"), """
                scenarios:
                  - name: escape
                    shared_folders: {data: ../../etc}
                    checks: [missing.sh]
                """);
        r = cli().run("test", copy.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.err()).contains("scenarios.yaml:3:").contains("must be a folder inside the template folder")
                .contains("scenarios.yaml:4:").contains("no check tests/missing.sh");
        assertThat(cli().run("status", "--json").json().path("vms")).isEmpty();
    }

    static Map<String, Element> testcases(Path xml) throws Exception {
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile());
        NodeList list = d.getElementsByTagName("testcase");
        Map<String, Element> out = new LinkedHashMap<>();
        for (int i = 0; i < list.getLength(); i++) {
            Element e = (Element) list.item(i);
            out.put(e.getAttribute("name"), e);
        }
        return out;
    }
}
