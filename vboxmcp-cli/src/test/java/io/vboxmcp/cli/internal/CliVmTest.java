package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** plan, create, status, ssh, stop, destroy and audit through the real launcher. */
class CliVmTest {
    @TempDir
    Path tmp;

    Path home() {
        return tmp.resolve("home");
    }

    Launcher cli() {
        return new Launcher(home());
    }

    @BeforeEach
    void installExample() {
        Launcher.Result r = cli().run("install", Fixtures.EXAMPLE_TEMPLATE.toString());
        assertThat(r.exit()).as(r.show()).isZero();
    }

    @Test
    void plan_printsThePlan_textAndJson() {
        Launcher.Result r = cli().run("plan", "vm1", "--template", "web-demo", "--version", "1.0.0", "--memory", "512",
                "--cpus", "1", "--disk-size", "1024");
        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(r.out()).contains("vm:        vm1", "template:  web-demo@1.0.0 (sha256:",
                "resources: 512 MB memory, 1 cpus, 1024 MB disk", "port:      guest 8000 -> 127.0.0.1:(auto)",
                "script:    Start the web server (as developer)");

        Launcher.Result j = cli().run("plan", "vm1", "-t", "web-demo@^1.0", "--memory", "512", "--json");
        assertThat(j.exit()).as(j.show()).isZero();
        JsonNode plan = j.json().path("plan");
        assertThat(plan.path("memoryMb").asInt()).isEqualTo(512);
        assertThat(plan.path("version").asText()).isEqualTo("1.0.0");
        assertThat(plan.path("ports")).anyMatch(p -> p.path("guest").asInt() == 8000);
        assertThat(plan.path("describe").asText()).contains("resources: 512 MB memory");
        assertThat(cli().run("status", "--json").json().path("vms")).as("a plan creates nothing").isEmpty();
    }

    @Test
    void plan_checksPackageMirrorOptionsWithoutEchoingCredentials() throws Exception {
        java.nio.file.Files.writeString(tmp.resolve("mirror.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n"
                + "-----END PGP PUBLIC KEY BLOCK-----\n");
        Launcher.Result ok = cli().run("plan", "vm1", "-t", "web-demo", "--memory", "512", "--apt-mirror",
                "http://10.0.2.2:8080/debian", "--apt-suite", "bookworm,bookworm-updates", "--apt-key",
                tmp.resolve("mirror.asc").toString(), "--pip-index", "http://10.0.2.2:8081/simple/", "--pip-trusted-host",
                "--npm-registry", "https://npm.example.org/");
        assertThat(ok.exit()).as(ok.show()).isZero();

        Launcher.Result creds = cli().run("plan", "vm1", "-t", "web-demo", "--pip-index",
                "https://alice:s3cret@pypi.example.org/simple/", "--json");
        assertThat(creds.exit()).as(creds.show()).isEqualTo(1);
        assertThat(creds.json().path("error").path("code").asText()).isEqualTo("INVALID_ARGUMENT");
        assertThat(creds.out() + creds.err()).contains("carries credentials").doesNotContain("s3cret");

        Launcher.Result ftp = cli().run("plan", "vm1", "-t", "web-demo", "--npm-registry", "ftp://npm.example.org/");
        assertThat(ftp.exit()).as(ftp.show()).isEqualTo(1);
        assertThat(ftp.err()).contains("must be http or https");

        assertThat(cli().run("plan", "vm1", "-t", "web-demo", "--apt-mirror", "http://m/debian").exit())
                .as("--apt-mirror needs --apt-suite").isEqualTo(2);
        Launcher.Result unsigned = cli().run("plan", "vm1", "-t", "web-demo", "--apt-mirror", "http://m/debian",
                "--apt-suite", "bookworm");
        assertThat(unsigned.exit()).as(unsigned.show()).isEqualTo(1);
        assertThat(unsigned.err()).contains("needs a signing key");
        assertThat(cli().run("plan", "vm1", "-t", "web-demo", "--pip-trusted-host").exit()).isEqualTo(2);
    }

    @Test
    void plan_failures_sayWhy() {
        Launcher.Result missing = cli().run("plan", "vm1", "-t", "no-such-template", "--json");
        assertThat(missing.exit()).as(missing.show()).isEqualTo(1);
        assertThat(missing.json().path("error").path("code").asText()).isIn("TEMPLATE_NOT_FOUND", "VERSION_NOT_FOUND");

        Launcher.Result small = cli().run("plan", "vm1", "-t", "web-demo", "--memory", "16");
        assertThat(small.exit()).as(small.show()).isEqualTo(1);
        assertThat(small.err()).contains("error: ").contains("256").doesNotContain("\tat ");

        Launcher.Result version = cli().run("plan", "vm1", "-t", "web-demo", "--version", "9.9.9");
        assertThat(version.exit()).as(version.show()).isEqualTo(1);
        assertThat(version.err()).contains("1.0.0");

        assertThat(cli().run("plan", "Bad_VM", "-t", "web-demo").exit()).isEqualTo(2);
        assertThat(cli().run("plan", "vm1", "-t", "web-demo@1.0.0", "--version", "1.0.0").exit()).isEqualTo(2);
        assertThat(cli().run("plan", "vm1", "-t", "web-demo", "--cpus", "0").exit()).isEqualTo(2);
        assertThat(cli().run("plan", "vm1").exit()).as("--template is required").isEqualTo(2);
    }

    @Test
    void lifecycleCommands_onAnUnknownVm_fail() {
        for (List<String> c : List.of(List.of("status", "ghost"), List.of("stop", "ghost"), List.of("destroy", "ghost"),
                List.of("ssh", "ghost", "--", "true"))) {
            Launcher.Result r = cli().run(c.toArray(String[]::new));
            assertThat(r.exit()).as(r.show()).isEqualTo(1);
            assertThat(r.err()).contains("no VM named 'ghost'");
        }
        Launcher.Result j = cli().run("destroy", "ghost", "--json");
        assertThat(j.json().path("error").path("code").asText()).isEqualTo("VM_NOT_FOUND");
        Launcher.Result empty = cli().run("status");
        assertThat(empty.exit()).isZero();
        assertThat(empty.out()).contains("no VMs");
    }

    @Test
    void auditVerify_intact_thenTampered() throws Exception {
        // three records written by core's own audit log, as a VM's life would write them
        HashChainAuditLog writer = new HashChainAuditLog(home().resolve("audit.log"), Clock.systemUTC());
        for (String action : List.of("create", "stop", "destroy")) {
            writer.append(new HashChainAuditLog.Event(action, "ok", HashChainAuditLog.fields("vm", "web-demo-vm")));
        }
        Launcher.Result ok = cli().run("audit", "verify", "--json");
        assertThat(ok.exit()).as(ok.show()).isZero();
        long records = ok.json().path("records").asLong();
        assertThat(records).isEqualTo(3);
        assertThat(cli().run("audit", "verify").out()).contains("audit log intact: " + records + " records");

        Path log = home().resolve("audit.log");
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        lines.set(1, lines.get(1).replaceFirst("web-demo-vm", "web-demo-vn"));
        Files.write(log, lines, StandardCharsets.UTF_8);

        Launcher.Result bad = cli().run("audit", "verify");
        assertThat(bad.exit()).as(bad.show()).isEqualTo(1);
        assertThat(bad.err()).contains("record 2");
        Launcher.Result badJson = cli().run("audit", "verify", "--json");
        assertThat(badJson.exit()).isEqualTo(1);
        assertThat(badJson.json().path("firstBadRecord").path("line").asInt()).isEqualTo(2);
        assertThat(badJson.json().path("ok").asBoolean(true)).isFalse();
    }

    @Test
    void auditVerify_detectsTruncationEmptyingDeletionAndRewrite_AUD04() throws Exception {
        Path log = home().resolve("audit.log");
        HashChainAuditLog writer = new HashChainAuditLog(log, Clock.systemUTC());
        for (int i = 0; i < 6; i++) {
            writer.append(new HashChainAuditLog.Event("vm.create", "ok", HashChainAuditLog.fields("vm", "vm-" + i)));
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        Launcher.Result ok = cli().run("audit", "verify", "--json");
        assertThat(ok.exit()).as(ok.show()).isZero();
        assertThat(ok.json().path("checkpoint").path("size").asLong()).isEqualTo(6);

        Files.write(log, lines.subList(0, 4), StandardCharsets.UTF_8);
        Launcher.Result truncated = cli().run("audit", "verify");
        assertThat(truncated.exit()).as(truncated.show()).isEqualTo(1);
        assertThat(truncated.err()).contains("record 5").contains("truncated");

        Files.write(log, new byte[0]);
        Launcher.Result emptied = cli().run("audit", "verify", "--json");
        assertThat(emptied.exit()).isEqualTo(1);
        assertThat(emptied.json().path("firstBadRecord").path("reason").asText()).contains("the log is empty");

        Files.delete(log);
        Launcher.Result deleted = cli().run("audit", "verify");
        assertThat(deleted.exit()).as(deleted.show()).isEqualTo(1);
        assertThat(deleted.err()).contains("deleted");

        // a complete, self-consistent chain written elsewhere and copied over the log
        Path elsewhere = Files.createDirectories(tmp.resolve("forged"));
        HashChainAuditLog forger = new HashChainAuditLog(elsewhere.resolve("audit.log"), Clock.systemUTC());
        for (int i = 0; i < 6; i++) {
            forger.append(new HashChainAuditLog.Event("vm.create", "ok", HashChainAuditLog.fields("vm", "other-" + i)));
        }
        Files.copy(forger.file(), log);
        Launcher.Result rewritten = cli().run("audit", "verify");
        assertThat(rewritten.exit()).as(rewritten.show()).isEqualTo(1);
        assertThat(rewritten.err()).contains("rewritten");
    }

    @Test
    void auditVerify_cannotCheckWithoutItsKey_AUD04() throws Exception {
        HashChainAuditLog writer = new HashChainAuditLog(home().resolve("audit.log"), Clock.systemUTC());
        writer.append(new HashChainAuditLog.Event("vm.create", "ok", HashChainAuditLog.fields("vm", "a")));
        Files.delete(home().resolve("audit").resolve("checkpoint.key"));
        Launcher.Result r = cli().run("audit", "verify");
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.err()).contains("cannot check").contains("checkpoint.key");
        Launcher.Result j = cli().run("audit", "verify", "--json");
        assertThat(j.json().path("error").path("code").asText()).isEqualTo("AUDIT");
    }

    @Test
    @Tag("vm")
    void create_status_ssh_stop_destroy_aRealVm() throws Exception {
        String catalog = Fixtures.run(Launcher.ROOT, Launcher.ROOT.resolve("scripts/build-test-image.sh").toString())
                .lines().reduce((a, b) -> b).orElseThrow().trim();
        Launcher.Result c = cli().run("create", "cli-vm", "--template", "web-demo", "--version", "1.0.0",
                "--memory", "512", "--cpus", "1", "--disk-size", "1024", "--image-catalog", catalog, "--json");
        assertThat(c.exit()).as(c.show()).isZero();
        JsonNode vm = c.json();
        assertThat(vm.path("state").asText()).isEqualTo("RUNNING");
        assertThat(vm.path("memoryMb").asInt()).isEqualTo(512);
        int web = vm.path("ports").path("8000").asInt();
        assertThat(web).isPositive();
        try {
            // the daemon may still be binding its socket when provisioning returns: poll with a deadline
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<String> page = null;
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (System.nanoTime() < deadline) {
                try {
                    page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web + "/")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (page.statusCode() == 200 && !page.body().isEmpty()) {
                        break;
                    }
                } catch (java.io.IOException notYet) {
                    page = null;
                }
                Thread.sleep(200);
            }
            assertThat(page).as("web server on guest port 8000 answered").isNotNull();
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("hello from web-demo");

            Launcher.Result status = cli().run("status");
            assertThat(status.out()).containsPattern("cli-vm\\s+RUNNING\\s+web-demo@1.0.0\\s+qemu");

            Launcher.Result who = cli().run("ssh", "cli-vm", "--", "id", "-un");
            assertThat(who.exit()).as(who.show()).isZero();
            assertThat(who.out().trim()).isEqualTo("root");
            Launcher.Result dev = cli().run("ssh", "--user", "developer", "cli-vm", "id -un; cat /home/developer/www/index.html");
            assertThat(dev.out()).as(dev.show()).contains("developer", "hello from web-demo");
            assertThat(cli().run("ssh", "cli-vm", "exit 3").exit()).as("the guest command's status").isEqualTo(3);
            Launcher.Result j = cli().run("ssh", "--json", "cli-vm", "echo out; echo err >&2");
            assertThat(j.json().path("stdout").asText()).isEqualTo("out\n");
            assertThat(j.json().path("stderr").asText()).isEqualTo("err\n");

            Launcher.Result stop = cli().run("stop", "cli-vm");
            assertThat(stop.exit()).as(stop.show()).isZero();
            assertThat(cli().run("status", "cli-vm", "--json").json().path("vm").path("state").asText())
                    .isEqualTo("STOPPED");
        } finally {
            Launcher.Result d = cli().run("destroy", "cli-vm");
            assertThat(d.exit()).as(d.show()).isZero();
        }
        assertThat(cli().run("status", "--json").json().path("vms")).isEmpty();
        assertThat(home().resolve("vms/cli-vm")).doesNotExist();
        assertThat(cli().run("audit", "verify").exit()).isZero();
    }

    @Test
    @Tag("vm")
    void create_failingScript_isUndone_andSaysWhichStepFailed() throws Exception {
        String catalog = Fixtures.run(Launcher.ROOT, Launcher.ROOT.resolve("scripts/build-test-image.sh").toString())
                .lines().reduce((a, b) -> b).orElseThrow().trim();
        Path t = tmp.resolve("broken");
        Files.createDirectories(t);
        Files.writeString(t.resolve("template-definition.yaml"), """
                name: "broken"
                version: "1.0.0"
                base_image: "vboxmcp-test:1"
                scripts:
                  - name: Fail on purpose
                    command: echo about to fail; exit 7
                """);
        assertThat(cli().run("install", t.toString()).exit()).isZero();
        Launcher.Result c = cli().run("create", "broken-vm", "-t", "broken", "--image-catalog", catalog);
        assertThat(c.exit()).as(c.show()).isEqualTo(1);
        assertThat(c.err()).contains("provision").contains("Fail on purpose").contains("7").doesNotContain("\tat ");
        assertThat(cli().run("status", "--json").json().path("vms")).isEmpty();
        assertThat(home().resolve("vms/broken-vm")).doesNotExist();
    }

    @Test
    @Tag("vm")
    void create_interruptedWithCtrlC_undoesEverything() throws Exception {
        String catalog = Fixtures.run(Launcher.ROOT, Launcher.ROOT.resolve("scripts/build-test-image.sh").toString())
                .lines().reduce((a, b) -> b).orElseThrow().trim();
        ProcessBuilder pb = new ProcessBuilder(Launcher.SCRIPT.toString(), "--home", home().toString(), "create",
                "ctrl-c-vm", "-t", "web-demo", "--image-catalog", catalog).directory(Launcher.ROOT.toFile());
        pb.environment().put("VBOXMCP_CLI_CLASSES", "1");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        StringBuilder seen = new StringBuilder();
        try (var err = new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            // interrupt once QEMU runs and the manager waits for the guest: the most to undo
            while ((line = err.readLine()) != null) {
                seen.append(line).append('\n');
                if (line.startsWith("guest-ready: started")) {
                    break;
                }
            }
            assertThat(seen.toString()).as("create reached guest-ready").contains("guest-ready: started");
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
            assertThat(kill.waitFor()).isZero();
            while ((line = err.readLine()) != null) {
                seen.append(line).append('\n');
            }
        }
        assertThat(p.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)).as(seen.toString()).isTrue();
        assertThat(p.exitValue()).as(seen.toString()).isNotZero();
        assertThat(home().resolve("vms/ctrl-c-vm")).as(seen.toString()).doesNotExist();
        Process qemu = new ProcessBuilder("pgrep", "-f", home().resolve("vms/ctrl-c-vm").toString()).start();
        assertThat(qemu.waitFor()).as("no QEMU process of the VM is left").isEqualTo(1);
        assertThat(cli().run("status", "--json").json().path("vms")).isEmpty();
    }
}
