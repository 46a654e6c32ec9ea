package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line bundles the libvirt driver: {@code --driver libvirt} with {@code --libvirt-uri} plans and creates
 * a real VM on the local libvirtd ({@code qemu:///system}, started by {@code scripts/start-libvirtd.sh} if it does not
 * answer), reaches it with {@code ssh}, and {@code destroy} removes the libvirt domain.
 */
@Tag("vm")
class CliLibvirtTest {
    static final String URI = "qemu:///system";
    static String catalog;

    @TempDir
    Path tmp;

    @BeforeAll
    static void libvirtdAndTheTestImage() throws Exception {
        Fixtures.run(Launcher.ROOT, "bash", Launcher.ROOT.resolve("scripts/start-libvirtd.sh").toString());
        catalog = Fixtures.run(Launcher.ROOT, Launcher.ROOT.resolve("scripts/build-test-image.sh").toString())
                .lines().reduce((a, b) -> b).orElseThrow().trim();
    }

    Launcher cli() {
        return new Launcher(tmp.resolve("home"));
    }

    @Test
    void driverLibvirt_plansCreatesReachesAndDestroysAVmOnTheLocalLibvirtd() throws Exception {
        Launcher.Result install = cli().run("install", Fixtures.EXAMPLE_TEMPLATE.toString());
        assertThat(install.exit()).as(install.show()).isZero();
        Launcher.Result plan = cli().run("--libvirt-uri", URI, "plan", "lv-cli", "-t", "web-demo", "--driver", "libvirt",
                "--json");
        assertThat(plan.exit()).as(plan.show()).isZero();
        assertThat(plan.json().path("plan").path("driver").asText()).isEqualTo("libvirt");

        Launcher.Result c = cli().run("--libvirt-uri", URI, "create", "lv-cli", "-t", "web-demo", "--driver", "libvirt",
                "--memory", "512", "--image-catalog", catalog, "--json");
        try {
            assertThat(c.exit()).as(c.show()).isZero();
            JsonNode vm = c.json();
            assertThat(vm.path("state").asText()).isEqualTo("RUNNING");
            String domain = domainOf("lv-cli");
            assertThat(Fixtures.run(Launcher.ROOT, "virsh", "-c", URI, "domstate", domain).trim()).isEqualTo("running");

            assertThat(cli().run("--libvirt-uri", URI, "status").out())
                    .containsPattern("lv-cli\\s+RUNNING\\s+web-demo@1.0.0\\s+libvirt");
            Launcher.Result who = cli().run("--libvirt-uri", URI, "ssh", "lv-cli", "--", "hostname");
            assertThat(who.exit()).as(who.show()).isZero();
            assertThat(who.out().trim()).isEqualTo("lv-cli");
        } finally {
            Launcher.Result d = cli().run("--libvirt-uri", URI, "destroy", "lv-cli");
            assertThat(d.exit()).as(d.show()).isZero();
        }
        assertThat(Fixtures.run(Launcher.ROOT, "virsh", "-c", URI, "list", "--all", "--name"))
                .doesNotContain("vboxmcp-lv-cli-");
    }

    private static String domainOf(String vm) throws Exception {
        return Fixtures.run(Launcher.ROOT, "virsh", "-c", URI, "list", "--name").lines().map(String::strip)
                .filter(n -> n.startsWith("vboxmcp-" + vm + "-")).findFirst().orElseThrow();
    }
}
