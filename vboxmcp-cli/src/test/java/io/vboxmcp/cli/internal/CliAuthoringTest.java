package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Template authoring through the real launcher: init, validate, pack, sign, verify, trust. */
class CliAuthoringTest {
    @TempDir
    Path tmp;

    Path home() {
        return tmp.resolve("home");
    }

    Launcher cli() {
        return new Launcher(home());
    }

    @Test
    void init_scaffoldsAFolderThatValidates() {
        Launcher.Result r = cli().run("init", "demo", "--dir", tmp.toString());
        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(tmp.resolve("demo/template-definition.yaml")).isRegularFile();

        Launcher.Result v = cli().run("validate", tmp.resolve("demo").toString());
        assertThat(v.exit()).as(v.show()).isZero();
        assertThat(v.out()).contains("valid (demo@0.1.0)");

        Launcher.Result j = cli().run("validate", "--json", tmp.resolve("demo").toString());
        assertThat(j.json().path("ok").asBoolean()).isTrue();
        assertThat(j.json().path("results").get(0).path("template").asText()).isEqualTo("demo@0.1.0");
    }

    @Test
    void init_refusesAnExistingFolder_andWritesNothing() throws Exception {
        Path existing = tmp.resolve("demo");
        Files.createDirectories(existing);
        Files.writeString(existing.resolve("notes.txt"), "mine");
        Map<String, String> before = Fixtures.snapshot(tmp);

        Launcher.Result r = cli().run("init", "demo", "--dir", tmp.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.err()).contains("already exists").doesNotContain("Exception");
        assertThat(Fixtures.snapshot(tmp)).as("nothing written, no temp folder left").isEqualTo(before);
    }

    @Test
    void init_badName_isAUsageError() {
        Launcher.Result r = cli().run("init", "Not_A_Name", "--dir", tmp.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(2);
        assertThat(r.err()).contains("not a template name");
        assertThat(tmp.resolve("Not_A_Name")).doesNotExist();
    }

    @Test
    void validate_reportsEveryProblem_asFileLineColumnPointerMessage() throws Exception {
        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("template-definition.yaml"), """
                name: "bad"
                version: "1.0"
                base_image: "debian:12"
                min_ram: -5
                colour: red
                """, StandardCharsets.UTF_8);
        Launcher.Result r = cli().run("validate", bad.toString(), Fixtures.EXAMPLE_TEMPLATE.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        List<String> problems = Fixtures.lines(r.out()).stream().filter(l -> l.contains("template-definition.yaml:"))
                .toList();
        assertThat(problems).as(r.show()).hasSizeGreaterThanOrEqualTo(3)
                .allMatch(l -> l.matches(".*template-definition\\.yaml:\\d+:\\d+: /\\S*: .+"));
        assertThat(problems).anyMatch(l -> l.contains(":2:") && l.contains("/version"))
                .anyMatch(l -> l.contains(":4:") && l.contains("/min_ram"))
                .anyMatch(l -> l.contains(":5:") && l.contains("colour"));
        assertThat(r.out()).as("the valid template is reported too").contains("valid (web-demo@1.0.0)");
        assertThat(r.err()).contains("1 of 2 templates invalid");

        Launcher.Result j = cli().run("--json", "validate", bad.toString());
        assertThat(j.exit()).isEqualTo(1);
        JsonNode res = j.json().path("results").get(0);
        assertThat(j.json().path("ok").asBoolean(true)).isFalse();
        assertThat(res.path("valid").asBoolean(true)).isFalse();
        assertThat(res.path("violations")).hasSize(problems.size());
        assertThat(res.path("violations").get(0).path("line").asInt()).isPositive();
    }

    @Test
    void validate_missingPath_fails() {
        Launcher.Result r = cli().run("validate", tmp.resolve("nothing-here").toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.out() + r.err()).contains("nothing-here");
    }

    @Test
    void pack_printsTheDigestOfAReproduciblePackage() throws Exception {
        Path t = Fixtures.templateCopy(tmp, "web-demo");
        Launcher.Result a = cli().in(tmp).run("pack", t.toString(), "-o", "a.tar.gz");
        assertThat(a.exit()).as(a.show()).isZero();
        byte[] bytes = Files.readAllBytes(tmp.resolve("a.tar.gz"));
        assertThat(a.out().trim()).isEqualTo("sha256:" + Fixtures.sha256(bytes) + "  a.tar.gz");
        assertThat(t.resolve("vboxmcp.manifest")).isRegularFile();
        assertThat(a.err()).contains("unsigned");

        Launcher.Result b = cli().in(tmp).run("pack", "--json", t.toString(), "-o", "b.tar.gz");
        assertThat(b.exit()).as(b.show()).isZero();
        assertThat(b.json().path("digest").asText()).isEqualTo("sha256:" + Fixtures.sha256(bytes));
        assertThat(Files.readAllBytes(tmp.resolve("b.tar.gz"))).isEqualTo(bytes);

        Launcher.Result def = cli().in(tmp).run("pack", t.toString());
        assertThat(def.exit()).as(def.show()).isZero();
        assertThat(tmp.resolve("web-demo-1.0.0.tar.gz")).hasBinaryContent(bytes);
    }

    @Test
    void pack_notAFolder_isAUsageError() {
        Launcher.Result r = cli().run("pack", tmp.resolve("missing").toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(2);
    }

    @Test
    void signSsh_thenVerify_withKeyFile_trustFolder_trustStore_andPackage() throws Exception {
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "author", "");
        Path other = Fixtures.sshKey(tmp.resolve("keys"), "stranger", "");
        Path t = Fixtures.templateCopy(tmp, "web-demo");
        String fingerprint = Fixtures.run(tmp, "ssh-keygen", "-l", "-f", key + ".pub").split(" ")[1];

        Launcher.Result s = cli().run("sign", t.toString(), "--key", key.toString());
        assertThat(s.exit()).as(s.show()).isZero();
        assertThat(t.resolve("vboxmcp.manifest.sig")).isRegularFile();

        Launcher.Result v = cli().run("verify", t.toString(), "--key", key + ".pub");
        assertThat(v.exit()).as(v.show()).isZero();
        assertThat(v.out()).contains("signed by " + fingerprint);

        Launcher.Result vj = cli().run("verify", "--json", t.toString(), "--key", key + ".pub");
        assertThat(vj.json().path("verification").path("trusted").asBoolean()).isTrue();
        assertThat(vj.json().path("verification").path("signer").asText()).isEqualTo(fingerprint);

        Launcher.Result wrong = cli().run("verify", t.toString(), "--key", other + ".pub");
        assertThat(wrong.exit()).as(wrong.show()).isEqualTo(1);
        assertThat(wrong.out() + wrong.err()).doesNotContain("Exception");

        Path trustDir = tmp.resolve("trusted");
        Files.createDirectories(trustDir);
        Files.copy(Path.of(key + ".pub"), trustDir.resolve("author.pub"));
        assertThat(cli().run("verify", t.toString(), "--trust", trustDir.toString()).exit()).isZero();

        assertThat(cli().run("verify", t.toString()).exit()).as("nothing pinned yet").isEqualTo(1);
        assertThat(cli().run("trust", "add", key + ".pub").exit()).isZero();
        Launcher.Result pinned = cli().run("verify", t.toString());
        assertThat(pinned.exit()).as(pinned.show()).isZero();

        Launcher.Result pack = cli().in(tmp).run("pack", t.toString(), "-o", "signed.tar.gz");
        assertThat(pack.exit()).as(pack.show()).isZero();
        assertThat(pack.err()).doesNotContain("unsigned");
        Launcher.Result vp = cli().run("verify", tmp.resolve("signed.tar.gz").toString(), "--key", key + ".pub");
        assertThat(vp.exit()).as(vp.show()).isZero();

        Files.writeString(t.resolve("README.md"), "changed after signing\n", StandardCharsets.UTF_8);
        Launcher.Result tampered = cli().run("verify", t.toString(), "--key", key + ".pub");
        assertThat(tampered.exit()).as(tampered.show()).isEqualTo(1);
    }

    @Test
    void sign_encryptedKey_takesThePassphraseFromTheEnvironment() throws Exception {
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "locked", "correct horse");
        Path t = Fixtures.templateCopy(tmp, "web-demo");

        Launcher.Result none = cli().run("sign", t.toString(), "--key", key.toString());
        assertThat(none.exit()).as(none.show()).isEqualTo(1);
        assertThat(t.resolve("vboxmcp.manifest.sig")).doesNotExist();

        Launcher.Result wrong = cli().env("VBOXMCP_KEY_PASSPHRASE", "wrong").run("sign", t.toString(), "--key",
                key.toString());
        assertThat(wrong.exit()).as(wrong.show()).isEqualTo(1);
        assertThat(t.resolve("vboxmcp.manifest.sig")).doesNotExist();

        Launcher.Result ok = cli().env("MY_PASS", "correct horse").run("sign", t.toString(), "--key", key.toString(),
                "--passphrase-env", "MY_PASS", "--json");
        assertThat(ok.exit()).as(ok.show()).isZero();
        assertThat(ok.json().path("format").asText()).isEqualTo("ssh");
        assertThat(t.resolve("vboxmcp.manifest.sig")).isRegularFile();
        assertThat(cli().run("verify", t.toString(), "--key", key + ".pub").exit()).isZero();
    }

    @Test
    void signOpenPgp_withAGpgKey_verifiesAgainstItsPublicKey() throws Exception {
        Path gnupg = tmp.resolve("g");
        Files.createDirectories(gnupg);
        gnupg.toFile().setReadable(true, true);
        Fixtures.run(tmp, "gpg", "--batch", "--homedir", gnupg.toString(), "--pinentry-mode", "loopback",
                "--passphrase", "", "--quick-gen-key", "CLI Test <cli@vboxmcp.test>", "ed25519", "sign", "never");
        String colons = Fixtures.run(tmp, "gpg", "--batch", "--homedir", gnupg.toString(), "--with-colons",
                "--list-secret-keys");
        String fpr = colons.lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
        Path sec = tmp.resolve("sec.asc");
        Path pub = tmp.resolve("pub.asc");
        Files.writeString(sec, Fixtures.run(tmp, "gpg", "--batch", "--homedir", gnupg.toString(), "--pinentry-mode",
                "loopback", "--passphrase", "", "--armor", "--export-secret-keys", fpr));
        Files.writeString(pub, Fixtures.run(tmp, "gpg", "--batch", "--homedir", gnupg.toString(), "--armor",
                "--export", fpr));
        Fixtures.run(tmp, "gpgconf", "--homedir", gnupg.toString(), "--kill", "gpg-agent");
        Path t = Fixtures.templateCopy(tmp, "web-demo");

        Launcher.Result s = cli().run("sign", t.toString(), "--key", sec.toString());
        assertThat(s.exit()).as(s.show()).isZero();
        assertThat(t.resolve("vboxmcp.manifest.asc")).isRegularFile();

        Launcher.Result v = cli().run("verify", "--json", t.toString(), "--key", pub.toString());
        assertThat(v.exit()).as(v.show()).isZero();
        assertThat(v.json().path("verification").path("signer").asText()).isEqualToIgnoringCase(fpr);
        assertThat(v.json().path("verification").path("format").asText()).isEqualTo("openpgp");
    }

    @Test
    void sign_refusesPackagesAndUnknownFormats_asUsageErrors() throws Exception {
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "author", "");
        Path pkg = tmp.resolve("x.tar.gz");
        Files.write(pkg, new byte[] {1, 2, 3});
        Path t = Fixtures.templateCopy(tmp, "web-demo");
        assertThat(cli().run("sign", pkg.toString(), "--key", key.toString()).exit()).isEqualTo(2);
        assertThat(cli().run("sign", t.toString(), "--key", key.toString(), "--format", "x509").exit()).isEqualTo(2);
        assertThat(cli().run("sign", t.toString()).exit()).as("--key is required").isEqualTo(2);
        assertThat(t.resolve("vboxmcp.manifest.sig")).doesNotExist();
    }

    @Test
    void trust_addListRemove_perSource() throws Exception {
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "team", "");
        Launcher.Result add = cli().run("trust", "add", key + ".pub", "--source", "team", "--json");
        assertThat(add.exit()).as(add.show()).isZero();
        String fp = add.json().path("key").path("fingerprint").asText();
        assertThat(fp).startsWith("SHA256:");
        assertThat(add.json().path("key").path("source").asText()).isEqualTo("team");

        Launcher.Result list = cli().run("trust", "list", "--json");
        assertThat(list.json().path("keys")).hasSize(1);
        assertThat(list.json().path("keys").get(0).path("fingerprint").asText()).isEqualTo(fp);
        Launcher.Result text = cli().run("trust", "list", "--source", "team");
        assertThat(text.out()).contains(fp, "team@vboxmcp.test");

        assertThat(cli().run("trust", "remove", fp).exit()).as("pinned for team, not global").isEqualTo(1);
        Launcher.Result rm = cli().run("trust", "remove", fp, "--source", "team");
        assertThat(rm.exit()).as(rm.show()).isZero();
        assertThat(cli().run("trust", "list", "--json").json().path("keys")).isEmpty();
    }

    @Test
    void trust_addRefusesAPrivateKey_andWritesNothing() throws Exception {
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "team", "");
        Launcher.Result r = cli().run("trust", "add", key.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").doesNotContain("\tat ");
        try (Stream<Path> keys = Files.exists(home().resolve("trust")) ? Files.walk(home().resolve("trust")) : Stream.empty()) {
            assertThat(keys.filter(Files::isRegularFile).map(Path::toString))
                    .noneMatch(p -> p.endsWith(".pub") || p.endsWith(".asc"));
        }
        assertThat(cli().run("trust", "add", key + ".pub", "--source", "Not A Name").exit()).isEqualTo(2);
    }

    @Test
    void verbose_showsTheStackTrace_quietHidesIt() throws Exception {
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "team", "");
        Launcher.Result v = cli().run("--verbose", "trust", "add", key.toString());
        assertThat(v.exit()).isEqualTo(1);
        assertThat(v.err()).contains("\tat ");
        Launcher.Result q = cli().run("trust", "add", key.toString());
        assertThat(q.err()).doesNotContain("\tat ");
    }
}
