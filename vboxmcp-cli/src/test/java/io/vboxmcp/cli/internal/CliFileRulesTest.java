package io.vboxmcp.cli.internal;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.publish.Packager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #11, classes 1, 5 and 6 through the real launcher: every command that reads template files applies
 * install's file rules, nothing but regular files is opened or replaced, and install runs the use-time trust check.
 * Each attack asserts the typed error, the exit code and that the home did not change.
 */
class CliFileRulesTest {
    static final String SECRET = "TOPSECRET-host-credential";
    @TempDir
    Path tmp;
    Path secret;

    Path home() {
        return tmp.resolve("home");
    }

    Launcher cli() {
        return new Launcher(home()).within(Duration.ofMinutes(2));
    }

    @BeforeEach
    void hostSecretAndAnInitialisedHome() throws Exception {
        // a YAML-looking secret, so that a parser that follows the link would quote it in its violations
        secret = tmp.resolve("secret.yaml");
        Files.writeString(secret, "password: " + SECRET + "\n");
        assertThat(cli().run("list").exit()).isZero();
    }

    /** Nothing but the audit log changed, and what it gained are deny records (a refusal is audited). */
    private void assertRefusedAndAudited(Map<String, String> before) throws Exception {
        Map<String, String> expected = new java.util.TreeMap<>(before);
        expected.keySet().removeIf(k -> k.equals("audit") || k.startsWith("audit/") || k.startsWith("audit.log"));
        assertThat(Fixtures.snapshotWithoutAudit(home())).isEqualTo(expected);
        if (Files.isRegularFile(home().resolve("audit.log"), LinkOption.NOFOLLOW_LINKS)) {
            assertThat(Fixtures.denyRecords(home())).as("the refusal left a deny record").isNotEmpty();
        }
    }

    private void assertRefusedWithoutLeak(Launcher.Result r, int exit) {
        assertThat(r.exit()).as(r.show()).isEqualTo(exit);
        assertThat(r.out() + r.err()).as(r.show()).doesNotContain(SECRET);
    }

    @Test
    void everyCommand_refusesSymlinkedDefinition_withoutQuotingItsTarget_ARC03() throws Exception {
        // laid out as a folder source holds it (<root>/<name>/), so search and plan read it too
        Path t = tmp.resolve("src/demo");
        Files.move(Fixtures.template(tmp.resolve("src"), "demo", "1.0.0", "linked"), t);
        Path def = t.resolve("template-definition.yaml");
        Files.delete(def);
        Files.createSymbolicLink(def, secret);
        Map<String, String> before = Fixtures.snapshot(home());
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "author", "");

        Launcher.Result folder = cli().run("validate", t.toString());
        assertRefusedWithoutLeak(folder, 1);
        assertThat(folder.out()).contains("symbolic link 'template-definition.yaml'");
        Launcher.Result file = cli().run("validate", "--json", def.toString());
        assertRefusedWithoutLeak(file, 1);
        assertThat(file.json().path("results").get(0).path("violations").get(0).path("message").asText())
                .contains("not a regular file", "symbolic link");
        assertRefusedWithoutLeak(cli().run("pack", t.toString(), "-o", tmp.resolve("p.tar.gz").toString()), 1);
        assertRefusedWithoutLeak(cli().run("sign", t.toString(), "--key", key.toString()), 1);
        assertRefusedWithoutLeak(cli().run("verify", t.toString(), "--key", key + ".pub"), 1);
        Launcher.Result install = cli().run("install", "--json", t.toString());
        assertRefusedWithoutLeak(install, 1);
        assertThat(install.json().path("error").path("code").asText()).isEqualTo("ARCHIVE_INVALID");
        // a folder source: search lists it as invalid, without the target's content
        assertThat(cli().run("source", "add", "folder", tmp.resolve("src").toString()).exit()).isZero();
        Launcher.Result search = cli().run("search");
        assertRefusedWithoutLeak(search, 0);
        Launcher.Result plan = cli().run("plan", "-t", "demo", "vm1");
        assertRefusedWithoutLeak(plan, 1);

        assertThat(tmp.resolve("p.tar.gz")).doesNotExist();
        assertThat(Files.readString(secret)).contains(SECRET);
        Map<String, String> after = Fixtures.snapshotWithoutAudit(home());
        // the one thing this test asked to write: the source, under its lock; refusals are audited as deny records
        after.keySet().removeIf(k -> k.equals("sources.json") || k.startsWith("locks"));
        assertThat(after).isEqualTo(before);
        assertThat(Fixtures.denyRecords(home())).as("the refusals are audited").isNotEmpty()
                .allSatisfy(l -> assertThat(l).doesNotContain(SECRET));
    }

    @Test
    void validate_refusesSymlinkAnywhereInTheFolder_likeInstall_ARC03() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "linked file");
        Files.createSymbolicLink(t.resolve("notes.txt"), secret);
        Launcher.Result r = cli().run("validate", "--json", t.toString());
        assertRefusedWithoutLeak(r, 1);
        assertThat(r.json().path("results").get(0).path("violations").get(0).path("message").asText())
                .contains("symbolic link 'notes.txt'");
    }

    @Test
    void validateAndInstall_refuseFifoDefinition_inBoundedTime_ARC07() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "fifo");
        Path def = t.resolve("template-definition.yaml");
        Files.delete(def);
        Fixtures.run(tmp, "mkfifo", def.toString());
        Map<String, String> before = Fixtures.snapshot(home());
        Launcher bounded = new Launcher(home()).within(Duration.ofSeconds(60));

        Launcher.Result v = bounded.run("validate", def.toString());
        assertThat(v.exit()).as(v.show()).isEqualTo(1);
        assertThat(v.out()).contains("not a regular file");
        Launcher.Result i = bounded.run("install", "--json", t.toString());
        assertThat(i.exit()).as(i.show()).isEqualTo(1);
        assertThat(i.json().path("error").path("code").asText()).isEqualTo("ARCHIVE_INVALID");
        assertRefusedAndAudited(before);
    }

    @Test
    void auditVerify_refusesFifo_insteadOfBlocking_ARC07() throws Exception {
        Path log = home().resolve("audit.log");
        Files.deleteIfExists(log);
        Fixtures.run(tmp, "mkfifo", log.toString());
        Map<String, String> before = Fixtures.snapshot(home());
        Launcher.Result r = new Launcher(home()).within(Duration.ofSeconds(60)).run("audit", "verify", "--json");
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("AUDIT");
        assertThat(r.json().path("error").path("message").asText()).contains("FIFO", "not a regular file");
        assertThat(Fixtures.snapshot(home())).isEqualTo(before);  // the FIFO is never read or replaced
        assertThat(Files.isRegularFile(log, LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void pack_neverReplacesAFifoOrALinkAtTheOutputPath_ARC07() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "pack me");
        Path fifo = tmp.resolve("out.tar.gz");
        Fixtures.run(tmp, "mkfifo", fifo.toString());
        Launcher.Result r = cli().run("pack", "--json", t.toString(), "-o", fifo.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("CONFLICT");
        assertThat(Fixtures.run(tmp, "stat", "-c", "%F", fifo.toString())).contains("fifo");

        Path link = tmp.resolve("link.tar.gz");
        Files.createSymbolicLink(link, secret);
        Launcher.Result l = cli().run("pack", t.toString(), "-o", link.toString());
        assertThat(l.exit()).as(l.show()).isEqualTo(1);
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(secret)).contains(SECRET);
        try (var st = Files.list(tmp)) {
            assertThat(st.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".pack-"));
        }
    }

    @Test
    void install_refusesFolderWhoseSignedManifestNoLongerMatches_ART01() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "signed");
        Files.writeString(t.resolve("setup.sh"), "echo hello\n");
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "author", "");
        assertThat(cli().run("sign", t.toString(), "--key", key.toString()).exit()).isZero();
        assertThat(cli().run("trust", "add", key + ".pub").exit()).isZero();
        Files.writeString(t.resolve("setup.sh"), "echo hell\n");  // same size, other bytes
        Map<String, String> before = Fixtures.snapshot(home());

        Launcher.Result r = cli().run("install", "--json", t.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("DIGEST_MISMATCH");
        assertRefusedAndAudited(before);
    }

    @Test
    void install_refusesFolderSignedByAnUnpinnedKey_whileKeysArePinned() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "signed by a stranger");
        Path pinned = Fixtures.sshKey(tmp.resolve("keys"), "pinned", "");
        Path stranger = Fixtures.sshKey(tmp.resolve("keys"), "stranger", "");
        assertThat(cli().run("trust", "add", pinned + ".pub").exit()).isZero();
        assertThat(cli().run("sign", t.toString(), "--key", stranger.toString()).exit()).isZero();
        Map<String, String> before = Fixtures.snapshot(home());

        Launcher.Result r = cli().run("install", "--json", t.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("SIGNATURE_INVALID");
        assertThat(r.json().path("error").path("verification").path("trusted").asBoolean(true)).isFalse();
        assertRefusedAndAudited(before);
    }

    /** A package whose (valid) manifest names {@code name@version} while its definition says demo@1.0.0. */
    private Path packageNamed(String name, String version) throws Exception {
        Path t = Fixtures.template(tmp.resolve(name + version), "demo", "1.0.0", "relabelled");
        Files.write(t.resolve(Manifest.FILE_NAME), Manifest.compute(name, SemanticVersion.parse(version), t).bytes());
        Path pkg = tmp.resolve(name + "-" + version + ".tar.gz");
        new Packager().pack(t, pkg);
        return pkg;
    }

    @Test
    void install_refusesPackageWhoseManifestNamesAnotherTemplate_ART09() throws Exception {
        Path pkg = packageNamed("other", "1.0.0");
        Map<String, String> before = Fixtures.snapshot(home());
        Launcher.Result r = cli().run("install", "--json", pkg.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("UNTRUSTED");
        assertThat(r.json().path("error").path("message").asText()).contains("other@1.0.0", "demo@1.0.0");
        assertRefusedAndAudited(before);
    }

    @Test
    void install_refusesPackageWhoseManifestNamesAnotherVersion_ART10() throws Exception {
        Path pkg = packageNamed("demo", "2.0.0");
        Map<String, String> before = Fixtures.snapshot(home());
        Launcher.Result r = cli().run("install", "--json", pkg.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("UNTRUSTED");
        assertRefusedAndAudited(before);
    }

    @Test
    void install_checksFolderSizesBeforeCopying_ARC14() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "big");
        // 2 GiB, sparse: costs no disk, but a copy would read and write all of it
        try (RandomAccessFile f = new RandomAccessFile(t.resolve("disk.img").toFile(), "rw")) {
            f.setLength(2L << 30);
        }
        Map<String, String> before = Fixtures.snapshot(home());
        long start = System.nanoTime();
        Launcher.Result r = cli().env("VBOXMCP_TEMPLATE_MAX_FILE_MB", "64").run("install", "--json", t.toString());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("ARCHIVE_INVALID");
        assertThat(r.json().path("error").path("message").asText()).contains("disk.img", "ARC-14");
        assertRefusedAndAudited(before);
        assertThat(took).isLessThan(Duration.ofSeconds(30));

        // with the default caps the file is allowed, but an invalid definition is still found before any copy
        Files.writeString(t.resolve("template-definition.yaml"), "name: demo\nversion: \"1.0.0\"\nscirpt: typo\n");
        Launcher.Result invalid = cli().run("install", "--json", t.toString());
        assertThat(invalid.exit()).as(invalid.show()).isEqualTo(1);
        assertThat(invalid.json().path("error").path("code").asText()).isEqualTo("TEMPLATE_INVALID");
        assertRefusedAndAudited(before);
    }

    @Test
    void validate_versionTooLargeForItsType_isAViolationWithPosition_IDX12() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "huge version");
        Path def = t.resolve("template-definition.yaml");
        Files.writeString(def, Files.readString(def).replace("\"1.0.0\"", "\"99999999999999999999.0.0\""));
        Launcher.Result r = cli().run("validate", "--json", t.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        var v = r.json().path("results").get(0).path("violations").get(0);
        assertThat(v.path("pointer").asText()).isEqualTo("/version");
        assertThat(v.path("line").asInt()).isEqualTo(2);
        assertThat(v.path("message").asText()).contains("at most 9223372036854775807").doesNotContain("internal");
    }

    @Test
    void init_intoAFolderThatCannotBeWritten_isATypedErrorNamingThePath() throws Exception {
        // as root, chmod cannot make a folder read-only; /proc refuses new entries for everyone
        Launcher.Result r = cli().run("init", "--json", "demo", "--dir", "/proc");
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("IO");
        assertThat(r.json().path("error").path("message").asText()).contains("/proc", "nothing was written");
        Launcher.Result human = cli().run("init", "demo", "--dir", "/proc");
        assertThat(human.err()).doesNotContain("internal error");
    }

    @Test
    void install_stillAcceptsAValidSignedFolder() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "fine");
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "author", "");
        assertThat(cli().run("sign", t.toString(), "--key", key.toString()).exit()).isZero();
        assertThat(cli().run("trust", "add", key + ".pub").exit()).isZero();
        Launcher.Result r = cli().run("install", t.toString());
        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(Files.readString(home().resolve("templates/demo/1.0.0/template-definition.yaml")))
                .isEqualTo(Files.readString(t.resolve("template-definition.yaml")));
        assertThat(home().resolve("templates/demo/1.0.0/" + Manifest.SSH_SIGNATURE)).isRegularFile();
    }
}
