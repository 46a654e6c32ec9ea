package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Global options, help, version and usage errors of the real launcher. */
class CliBasicsTest {
    @TempDir
    Path home;

    @Test
    void help_listsEveryCommandOfTheIssue_andExitsZero() {
        Launcher.Result r = new Launcher(home).runBare("--help");
        assertThat(r.exit()).as(r.show()).isZero();
        for (String c : new String[] {"validate", "init", "pack", "sign", "verify", "trust", "source", "install", "list",
                "versions", "search", "remove", "plan", "create", "status", "ssh", "stop", "destroy", "audit"}) {
            assertThat(r.out()).as("help names %s", c).containsPattern("(?m)^  " + c + "\\s");
        }
        assertThat(r.out()).contains("--home", "--json", "--quiet", "--verbose", "--version");
    }

    @Test
    void subcommandHelp_showsItsOptionsAndTheGlobalOnes() {
        Launcher.Result r = new Launcher(home).runBare("create", "--help");
        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(r.out()).contains("--template", "--memory", "--cpus", "--disk-size", "--driver", "--share",
                "--allow-share-root", "--keep-on-failure", "--json", "--home");
    }

    @Test
    void version_printsTheProjectVersion() throws Exception {
        Launcher.Result r = new Launcher(home).runBare("--version");
        assertThat(r.exit()).as(r.show()).isZero();
        String pom = Files.readString(Launcher.ROOT.resolve("pom.xml"));
        String version = pom.replaceAll("(?s).*?<artifactId>vboxmcp-parent</artifactId>\\s*<version>([^<]+)</version>.*", "$1");
        assertThat(r.out()).startsWith("vboxmcp " + version);
    }

    @Test
    void noCommand_isAUsageError() {
        Launcher.Result r = new Launcher(home).runBare();
        assertThat(r.exit()).as(r.show()).isEqualTo(2);
        assertThat(r.err()).contains("missing command").doesNotContain("Exception");
    }

    @Test
    void unknownCommand_isAUsageError_withASuggestion() {
        Launcher.Result r = new Launcher(home).run("stauts");
        assertThat(r.exit()).as(r.show()).isEqualTo(2);
        assertThat(r.err()).contains("stauts").contains("status");
    }

    @Test
    void unknownOption_isAUsageError_andJsonModeReportsItAsJson() {
        Launcher.Result r = new Launcher(home).run("list", "--colour");
        assertThat(r.exit()).as(r.show()).isEqualTo(2);
        assertThat(r.err()).contains("--colour");

        Launcher.Result j = new Launcher(home).run("list", "--colour", "--json");
        assertThat(j.exit()).as(j.show()).isEqualTo(2);
        JsonNode doc = j.json();
        assertThat(doc.path("ok").asBoolean(true)).isFalse();
        assertThat(doc.path("error").path("code").asText()).isEqualTo("USAGE");
    }

    @Test
    void globalOptions_workBeforeAndAfterTheCommand() {
        Launcher.Result before = new Launcher(home).runBare("--home", home.toString(), "--json", "source", "list");
        Launcher.Result after = new Launcher(home).runBare("source", "list", "--json", "--home", home.toString());
        assertThat(before.exit()).as(before.show()).isZero();
        assertThat(after.exit()).as(after.show()).isZero();
        assertThat(before.json().path("sources").get(0).path("uri").asText())
                .isEqualTo(home.resolve("templates").toUri().toString())
                .isEqualTo(after.json().path("sources").get(0).path("uri").asText());
    }

    @Test
    void homeComesFromTheEnvironmentWhenNotGiven() {
        Launcher.Result r = new Launcher(home).env("VBOXMCP_HOME", home.toString()).runBare("source", "list", "--json");
        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(r.json().path("sources").get(0).path("uri").asText()).startsWith(home.toUri().toString());
    }

    @Test
    void launcher_refusesToRunBeforeTheBuild_withTheBuildCommand() throws Exception {
        // a copy of the launcher in a folder without target/ behaves as in a fresh clone
        Path fake = home.resolve("clone");
        Files.createDirectories(fake);
        Files.copy(Launcher.SCRIPT, fake.resolve("vboxmcp"));
        fake.resolve("vboxmcp").toFile().setExecutable(true);
        Process p = new ProcessBuilder(fake.resolve("vboxmcp").toString(), "--help").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).isEqualTo(2);
        assertThat(out).contains("mvn -B -ntp -DskipTests install");
    }
}
