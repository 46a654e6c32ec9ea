package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VmPlan;
import io.vboxmcp.template.Script;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProvisionerTest {
    private static final byte[] ARMORED_KEY = ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n"
            + "-----END PGP PUBLIC KEY BLOCK-----\n").getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path tmp;

    private static VmPlan plan(Map<String, List<String>> packages, List<Script> scripts, Map<String, String> env,
                               List<PlannedSharedFolder> shares) {
        TemplateDefinition t = new TemplateDefinition("t", SemanticVersion.of(1, 0, 0), null, null, "img", 0, 0, 0, packages,
                scripts, env, List.of(), List.of(), TemplateMetadata.EMPTY, Map.of());
        return new VmPlan("vm", t, "sha256:x", null, "qemu", 512, 1, 1024, List.of(new PortForward(22, 0, null)), shares);
    }

    private static ExecResult ok(String out) {
        return new ExecResult(0, out, "", false, false);
    }

    /** A Debian 12 guest: apt-get, an externally managed python3; everything succeeds. */
    private static ExecResult debian(GuestCommand c) {
        if (c.command().startsWith("for m in")) {
            return ok("apt-get\n");
        }
        return c.command().contains("EXTERNALLY-MANAGED") ? ok("VENV\n") : ok("");
    }

    private static Provisioner provisioner(RecordingGuestChannel g, PackageMirrors mirrors, List<ProgressEvent> events) {
        return new Provisioner(g, events::add, "vm", Duration.ofMinutes(10), mirrors);
    }

    private static Provisioner provisioner(RecordingGuestChannel g) {
        return provisioner(g, PackageMirrors.NONE, new ArrayList<>());
    }

    private Path templateDir() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("template"));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: t\n");
        Files.writeString(dir.resolve("vboxmcp.manifest"), "manifest\n");
        Files.writeString(dir.resolve("requirements.txt"), "requests==2.31.0\n");
        Files.createDirectories(dir.resolve("conf"));
        Path setup = dir.resolve("conf/setup.sh");
        Files.writeString(setup, "#!/bin/sh\necho set up\n");
        setup.toFile().setExecutable(true);
        return dir;
    }

    @Test
    void provision_runsMirrorsEnvironmentFilesSharesGroupsPipNpmThenScriptsInOrder() throws Exception {
        Map<String, List<String>> pk = new LinkedHashMap<>();
        pk.put("python", List.of("python3.11", "python3-pip"));   // the seed's group: distribution package names
        pk.put("npm", List.of("left-pad@1.3.0"));
        pk.put("system", List.of("git", "curl"));
        pk.put("pip", List.of("requests>=2.0"));
        pk.put("tools", List.of("jq"));
        PackageMirrors mirrors = PackageMirrors.builder()
                .apt(new PackageMirrors.AptSource(URI.create("http://10.0.2.2:8080/debian"), List.of("bookworm"),
                        List.of("main"), ARMORED_KEY, false))
                .pipIndex(URI.create("http://10.0.2.2:8081/simple/")).pipTrustedHost(true)
                .npmRegistry(URI.create("https://npm.example.org/")).build();
        RecordingGuestChannel g = new RecordingGuestChannel(ProvisionerTest::debian);
        List<Script> scripts = List.of(new Script("Install Python packages", "pip install -r requirements.txt", "/tmp",
                "root", null), new Script("second", "echo 2", null, null, null));
        provisioner(g, mirrors, new ArrayList<>()).provision(plan(pk, scripts, Map.of("A", "1"),
                        List.of(new PlannedSharedFolder("code", Path.of("/h"), "/mnt/code", true))), templateDir(),
                f -> "mount-it " + f.name());

        List<String> order = List.of(
                "exec for m in apt-get dnf yum zypper apk pacman tpkg;",
                "upload /etc/apt/keyrings/vboxmcp-mirror-0.asc",
                "upload /etc/apt/sources.list.d/vboxmcp-mirror.sources",
                "exec mkdir -p /etc/apt/sources.disabled-by-vboxmcp",
                "upload /etc/pip.conf",
                "upload /etc/profile.d/vboxmcp.sh",
                "upload /var/lib/vboxmcp/template.tar",
                "exec rm -rf /var/lib/vboxmcp/template && mkdir -p /var/lib/vboxmcp/template",
                "exec mkdir -p '/mnt/code' && mount-it code",
                "exec apt-get update -q",
                "exec apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold 'git' 'curl'",
                "exec apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold 'python3.11' 'python3-pip'",
                "exec apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold 'jq'",
                "exec V=/opt/vboxmcp/venv",
                "exec /opt/vboxmcp/venv/bin/python -m pip install --no-input --disable-pip-version-check 'requests>=2.0'",
                "exec command -v npm",
                "exec [ -d '/tmp' ]",
                "exec cd /var/lib/vboxmcp/template && find . -mindepth 1 -type d",
                "exec pip install -r requirements.txt",
                "exec echo 2");
        List<Integer> at = new ArrayList<>();
        for (String step : order) {
            at.add(indexOf(g.log, step));
        }
        assertThat(at).as("position of each step in " + g.log).doesNotContain(-1).isSorted();
        assertThat(g.log).as("apt-get update once per provisioning").filteredOn(s -> s.contains("apt-get update"))
                .hasSize(1);
        assertThat(g.log).as("the guest's python is probed once").filteredOn(s -> s.contains("EXTERNALLY-MANAGED"))
                .hasSize(1);

        GuestCommand system = find(g, "'git' 'curl'");
        assertThat(system.environment()).containsEntry("DEBIAN_FRONTEND", "noninteractive").containsEntry("A", "1");
        assertThat(find(g, "command -v npm").command())
                .contains("npm config set --global registry 'https://npm.example.org/' && npm install -g --no-fund "
                        + "--no-audit 'left-pad@1.3.0'");

        GuestCommand seed = find(g, "pip install -r requirements.txt");
        assertThat(seed.workingDir()).isEqualTo("/tmp");
        assertThat(seed.user()).isEqualTo("root");
        assertThat(seed.environment()).containsEntry("VBOXMCP_TEMPLATE_DIR", "/var/lib/vboxmcp/template")
                .containsEntry("VIRTUAL_ENV", "/opt/vboxmcp/venv").containsEntry("A", "1");
        assertThat(seed.environment().get("PATH")).startsWith("/opt/vboxmcp/venv/bin:");
        assertThat(find(g, "echo 2").workingDir()).as("default working directory").isEqualTo("/var/lib/vboxmcp/template");
        assertThat(find(g, "echo 2").timeout()).isEqualTo(Duration.ofMinutes(10));

        String sources = new String(g.uploads.get("/etc/apt/sources.list.d/vboxmcp-mirror.sources"), StandardCharsets.UTF_8);
        assertThat(sources).contains("Types: deb\nURIs: http://10.0.2.2:8080/debian\nSuites: bookworm\n"
                + "Components: main\nSigned-By: /etc/apt/keyrings/vboxmcp-mirror-0.asc\n").doesNotContain("Trusted");
        assertThat(g.uploads.get("/etc/apt/keyrings/vboxmcp-mirror-0.asc")).isEqualTo(ARMORED_KEY);
        assertThat(new String(g.uploads.get("/etc/pip.conf"), StandardCharsets.UTF_8))
                .contains("[global]\nindex-url = http://10.0.2.2:8081/simple/\ntrusted-host = 10.0.2.2\n");
        assertThat(tarNames(g.uploads.get("/var/lib/vboxmcp/template.tar")))
                .containsExactlyInAnyOrder("conf/", "conf/setup.sh:755", "requirements.txt:644");
    }

    @Test
    void provision_workingDirCopyIsRunAsTheScriptsUserAndNeverReplacesFiles() throws Exception {
        RecordingGuestChannel g = new RecordingGuestChannel(ProvisionerTest::debian);
        provisioner(g).provision(plan(Map.of(), List.of(new Script("s", "ls", "/srv/app", "developer", null)), Map.of(),
                List.of()), templateDir(), f -> "");
        GuestCommand copy = find(g, "find . -mindepth 1");
        assertThat(copy.user()).isEqualTo("developer");
        assertThat(copy.command()).contains("[ -e \"$0/$f\" ] || [ -h \"$0/$f\" ] || cp \"$f\" \"$0/$f\"")
                .endsWith("'/srv/app' {} +");
        assertThat(find(g, "id -u developer").command()).contains("useradd -m developer");
    }

    @Test
    void provision_systemPythonWithoutPep668InstallsWithPlainPipAndNoVenv() throws Exception {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> c.command().startsWith("for m in") ? ok("apt-get")
                : c.command().contains("EXTERNALLY-MANAGED") ? ok("SYSTEM\n") : ok(""));
        provisioner(g).provision(plan(Map.of("pip", List.of("flask==3.0.0")), List.of(new Script("s", "true", null,
                null, null)), Map.of(), List.of()), null, f -> "");
        assertThat(find(g, "-m pip install").command()).startsWith("python3 -m pip install");
        assertThat(find(g, "true").environment()).doesNotContainKey("VIRTUAL_ENV").doesNotContainKey("PATH");
        assertThat(g.log).noneMatch(s -> s.startsWith("exec for m in")).as("no distribution group: no detection");
    }

    @Test
    void provision_pipGroupOnAGuestWithoutPythonIsATypedErrorNamingTheGroup() {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> c.command().contains("EXTERNALLY-MANAGED")
                ? ok("NONE\n") : ok(""));
        assertThatThrownBy(() -> provisioner(g).provision(plan(Map.of("pip", List.of("requests")), List.of(), Map.of(),
                List.of()), null, f -> ""))
                .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                    assertThat(e.item()).isEqualTo("packages.pip");
                    assertThat(e.getMessage()).contains("no python3");
                });
        assertThat(g.log).noneMatch(s -> s.contains("-m pip install"));
    }

    @Test
    void provision_failingGroupIsNamedWithThePackageManagersMessage() {
        Map<String, List<String>> pk = new LinkedHashMap<>();
        pk.put("system", List.of("git"));
        pk.put("tools", List.of("no-such-package"));
        pk.put("later", List.of("never"));
        RecordingGuestChannel g = new RecordingGuestChannel(c -> c.command().contains("'no-such-package'")
                ? new ExecResult(100, "Reading package lists...\n", "E: Unable to locate package no-such-package\n",
                false, false) : debian(c));
        assertThatThrownBy(() -> provisioner(g).provision(plan(pk, List.of(), Map.of(), List.of()), null, f -> ""))
                .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                    assertThat(e.item()).isEqualTo("packages.tools");
                    assertThat(e.exitCode()).isEqualTo(100);
                    assertThat(e.lastOutput()).contains("E: Unable to locate package no-such-package");
                    assertThat(e.getMessage()).contains("'packages.tools' exited with 100")
                            .contains("Unable to locate package");
                });
        assertThat(g.log).noneMatch(s -> s.contains("'never'"));
    }

    @Test
    void provision_tpkgGuestInstallsEachGroupInDocumentOrderWithoutRefresh() throws Exception {
        Map<String, List<String>> pk = new LinkedHashMap<>();
        pk.put("b", List.of("two"));
        pk.put("system", List.of("one"));
        pk.put("a", List.of("three"));
        RecordingGuestChannel g = new RecordingGuestChannel(c -> c.command().startsWith("for m in") ? ok("tpkg\n")
                : ok(""));
        provisioner(g).provision(plan(pk, List.of(), Map.of(), List.of()), null, f -> "");
        assertThat(g.commands.stream().map(GuestCommand::command).filter(c -> c.startsWith("tpkg")))
                .containsExactly("tpkg install 'one'", "tpkg install 'two'", "tpkg install 'three'");
    }

    @Test
    void provision_refusesHostilePackageNamesBeforeAnythingRuns() {
        for (Map.Entry<String, String> bad : List.of(Map.entry("system", "git; rm -rf /"),
                Map.entry("system", "-oAPT::Get::AllowUnauthenticated=1"), Map.entry("pip", "https://evil.example/x.whl"),
                Map.entry("pip", "--index-url=http://evil"), Map.entry("npm", "git+ssh://git@evil/x.git"),
                Map.entry("npm", "../../etc"))) {
            RecordingGuestChannel g = new RecordingGuestChannel(ProvisionerTest::debian);
            assertThatThrownBy(() -> provisioner(g).provision(plan(Map.of(bad.getKey(), List.of(bad.getValue())),
                    List.of(), Map.of(), List.of()), null, f -> ""))
                    .as(bad.toString())
                    .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                        assertThat(e.item()).isEqualTo("packages." + bad.getKey());
                        assertThat(e.getMessage()).contains("refusing package name");
                    });
            assertThat(g.log).as("nothing ran for " + bad).isEmpty();
        }
    }

    @Test
    void provision_aptMirrorOnAGuestWithoutAptIsLeftWithAWarning() throws Exception {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> c.command().startsWith("for m in") ? ok("tpkg") : ok(""));
        List<ProgressEvent> events = new ArrayList<>();
        PackageMirrors m = PackageMirrors.builder().apt(new PackageMirrors.AptSource(URI.create("https://m.example/d"),
                List.of("bookworm"), List.of("main"), null, true)).build();
        provisioner(g, m, events).provision(plan(Map.of(), List.of(), Map.of(), List.of()), null, f -> "");
        assertThat(g.uploads).isEmpty();
        assertThat(events).anyMatch(e -> e.message().contains("warning: apt mirrors are configured but the guest has no apt-get"));
    }

    @Test
    void provision_unsignedAptMirrorOnlyWithExplicitAllowUnsigned() throws Exception {
        RecordingGuestChannel g = new RecordingGuestChannel(ProvisionerTest::debian);
        PackageMirrors m = PackageMirrors.builder().apt(new PackageMirrors.AptSource(URI.create("http://10.0.2.2:1/d"),
                List.of("stable"), List.of("main"), null, true)).disableDefaultAptSources(false).build();
        provisioner(g, m, new ArrayList<>()).provision(plan(Map.of(), List.of(), Map.of(), List.of()), null, f -> "");
        assertThat(new String(g.uploads.get(MirrorSetup.APT_SOURCES), StandardCharsets.UTF_8)).contains("Trusted: yes");
        assertThat(g.log).noneMatch(s -> s.contains("sources.disabled-by-vboxmcp")).as("defaults kept on request");
    }

    @Test
    void templateFiles_refusesMoreThanTheCap() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("big"));
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("disk.img").toFile(), "rw")) {
            f.setLength(TemplateFiles.MAX_BYTES + 1);  // sparse: no real 64 MiB written
        }
        RecordingGuestChannel g = new RecordingGuestChannel(ProvisionerTest::debian);
        assertThatThrownBy(() -> provisioner(g).provision(plan(Map.of(), List.of(new Script("s", "true", null, null,
                null)), Map.of(), List.of()), dir, f -> ""))
                .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                    assertThat(e.item()).isEqualTo("template files");
                    assertThat(e.getMessage()).contains("64 MiB");
                });
        assertThat(g.uploads).isEmpty();
    }

    @Test
    void templateFiles_refusesALink() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("linked"));
        Files.createSymbolicLink(dir.resolve("passwd"), Path.of("/etc/passwd"));
        assertThatThrownBy(() -> TemplateFiles.tar(dir)).isInstanceOf(ProvisioningException.class)
                .hasMessageContaining("'passwd'");
    }

    @Test
    void provision_stopsAtFailingScriptAndNamesIt_EXE05() {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> c.command().equals("false-ish")
                ? new ExecResult(7, "line1\nline2\n", "oops\n", false, false) : debian(c));
        List<Script> scripts = List.of(new Script("breaks", "false-ish", null, null, null),
                new Script("never", "echo never", null, null, null));
        assertThatThrownBy(() -> provisioner(g).provision(plan(Map.of(), scripts, Map.of(), List.of()), null, f -> ""))
                .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                    assertThat(e.item()).isEqualTo("breaks");
                    assertThat(e.exitCode()).isEqualTo(7);
                    assertThat(e.lastOutput()).containsExactly("line1", "line2", "oops");
                    assertThat(e.getMessage()).contains("'breaks' exited with 7").contains("oops");
                });
        assertThat(g.commands).noneMatch(c -> c.command().contains("never"));
    }

    @Test
    void provision_reportsTimeoutAsTimeout_EXE03() {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> c.command().equals("sleep 99")
                ? new ExecResult(-1, "", "", false, true) : c.command().contains("EXTERNALLY") ? ok("NONE") : ok(""));
        assertThatThrownBy(() -> provisioner(g).provision(plan(Map.of(), List.of(new Script("slow", "sleep 99", null,
                null, Duration.ofSeconds(2))), Map.of(), List.of()), null, f -> ""))
                .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
                    assertThat(e.getMessage()).contains("timeout of 2 s");
                });
    }

    @Test
    void provision_failsClearlyWithoutAPackageManager() {
        RecordingGuestChannel g = new RecordingGuestChannel(c -> new ExecResult(3, "", "", false, false));
        assertThatThrownBy(() -> provisioner(g).provision(plan(Map.of("system", List.of("git")), List.of(), Map.of(),
                List.of()), null, f -> ""))
                .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                    assertThat(e.item()).isEqualTo("packages.system");
                    assertThat(e.getMessage()).contains("no known package manager");
                });
    }

    private static GuestCommand find(RecordingGuestChannel g, String needle) {
        return g.commands.stream().filter(c -> c.command().contains(needle)).findFirst()
                .orElseThrow(() -> new AssertionError("no command with " + needle + " in " + g.log));
    }

    private static int indexOf(List<String> log, String prefix) {
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    private static List<String> tarNames(byte[] tar) throws IOException {
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            for (TarArchiveEntry e = in.getNextTarEntry(); e != null; e = in.getNextTarEntry()) {
                assertThat(e.getLongUserId()).isZero();
                names.add(e.isDirectory() ? e.getName() : e.getName() + ":" + Integer.toOctalString(e.getMode() & 0777));
            }
        }
        return names;
    }

}
