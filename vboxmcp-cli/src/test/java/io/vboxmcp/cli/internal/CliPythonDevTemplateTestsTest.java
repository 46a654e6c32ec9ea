package io.vboxmcp.cli.internal;

import io.vboxmcp.testkit.http.DebianGuestFixture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue #14's acceptance for the seed's template: {@code vboxmcp test examples/templates/python-dev} through the real
 * launcher on the Debian 12 guest of {@code scripts/build-debian-image.sh} (served as {@code debian:12} from a local
 * catalog), air-gapped: the default scenario's guest runs under restricted networking and reaches only the signed apt
 * mirror and the pip index on 127.0.0.1, given on the command line as for {@code create} and relayed at 10.0.2.100
 * ({@link DebianGuestFixture}). One Debian boot. Needs root (the image build); skipped otherwise.
 */
@Tag("vm")
class CliPythonDevTemplateTestsTest {
    static final Path TEMPLATE = Launcher.ROOT.resolve("examples/templates/python-dev");

    @TempDir
    Path tmp;

    @Test
    void test_pythonDevMeetsBothScenarios_airGapped_throughTheCommandLinesMirrorsRelayedToItsRestrictedGuest()
            throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "building the Debian image needs root (mmdebstrap, mke2fs -d); CI runs as root");
        try (DebianGuestFixture debian = DebianGuestFixture.start(Launcher.ROOT,
                Files.createDirectories(tmp.resolve("fixture")))) {
            Path report = tmp.resolve("report");
            long start = System.nanoTime();
            // a Debian guest under TCG on a loaded 2-core machine can take minutes to answer SSH
            Launcher.Result r = new Launcher(tmp.resolve("home")).run("test", TEMPLATE.toString(),
                    "--ready-timeout", "900", "--image-catalog", debian.catalog().toString(),
                    "--apt-mirror", debian.aptUrl().toString(), "--apt-suite", "bookworm",
                    "--apt-key", debian.aptKeyFile().toString(),
                    "--pip-index", debian.pipIndexUrl().toString(), "--pip-trusted-host",
                    "--report", report.toString());
            System.out.printf("vboxmcp test python-dev took %d ms%n%s", (System.nanoTime() - start) / 1_000_000, r.out());
            assertThat(r.exit()).as(r.show()).isZero();
            assertThat(r.out()).contains("ok   default", "2 check(s) passed")
                    .contains("ok   under-min-ram", "create failed at 'plan' with RESOURCE_LIMIT, as expected")
                    .contains("python-dev@1.0.0: 2 scenario(s), 2 met their expectation, 0 did not");

            Map<String, Element> cases = CliTemplateTestsTest.testcases(report.resolve("TEST-vboxmcp-python-dev_1.0.0.xml"));
            assertThat(cases).containsOnlyKeys("default", "under-min-ram");
            assertThat(cases.values()).allMatch(c -> c.getElementsByTagName("failure").getLength() == 0);
            assertThat(cases.get("default").getElementsByTagName("system-out").item(0).getTextContent())
                    .contains("--- check python.sh (exit 0", "--- check web.sh (exit 0");
            String hello = "vboxmcp-hello 1.0.0: import vboxmcp_hello from ";
            assertThat(Files.readString(report.resolve("default/python.sh.log")))
                    .as("the pin of requirements.txt, for the plain python3 and the login shell's (the venv's)")
                    .contains("python 3.11", hello).contains("/opt/vboxmcp/venv/bin/python3: " + hello);
            assertThat(Files.readString(report.resolve("default/web.sh.log")))
                    .contains("port 8000: hello from python-dev (vboxmcp-hello 1.0.0)", "python-dev-web.service: active");

            // air-gapped for real: apt and pip fetched from the loopback servers, through the relay address
            String provision = Files.readString(report.resolve("default/provision.log"));
            provision.lines().filter(l -> l.startsWith("== ")).forEach(System.out::println);
            assertThat(provision).contains("http://10.0.2.100:" + debian.apt().port())
                    .as("each step's duration").contains("== guest-ready done in ", "== provision done in ");
            for (String pkg : DebianGuestFixture.MIRROR_PACKAGES) {
                assertThat(debian.apt().requests()).as(pkg + " fetched from the mirror")
                        .anyMatch(q -> q.startsWith("GET /pool/main/" + pkg + "_") && q.endsWith(".deb"));
            }
            assertThat(debian.pip().requests()).contains("GET /files/" + debian.hello().fileName());
        }
    }
}
