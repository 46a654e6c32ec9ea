package io.vboxmcp.core.internal.publish;

import io.vboxmcp.core.internal.archive.ManifestTest;
import io.vboxmcp.core.internal.archive.TreeSnapshot;
import io.vboxmcp.core.internal.verify.Fixtures;
import io.vboxmcp.core.internal.verify.Tools;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VerificationResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The author workflow through the public API, checked by the plain tools a consumer might use instead. */
class DefaultTemplatePublisherTest {
    @TempDir
    static Path keys;
    static Tools.Gpg gpg;
    static String alice;
    static Path sshKey;

    @TempDir
    Path tmp;

    @BeforeAll
    static void generate() throws Exception {
        gpg = new Tools.Gpg(keys.resolve("g"));
        alice = gpg.generate("Alice <alice@example.org>", "ed25519", "sign", "0");
        sshKey = Tools.sshKeygen(keys, "ecdsa", 256, "pass phrase");
    }

    @AfterAll
    static void stop() throws Exception {
        gpg.close();
    }

    @Test
    void publish_manifestSignPackVerify_andPlainToolsAgree() throws Exception {
        DefaultTemplatePublisher pub = new DefaultTemplatePublisher();
        Path dir = Fixtures.template(tmp.resolve("demo"));
        String digest = pub.writeManifest(dir, "demo", Fixtures.V1);
        Path asc = pub.signOpenPgp(dir, gpg.exportSecret(alice, tmp.resolve("alice.secret.asc")), Tools.Gpg.PASS.toCharArray());
        Path sig = pub.signSsh(dir, sshKey, "pass phrase".toCharArray());
        assertThat(asc.getFileName().toString()).isEqualTo("vboxmcp.manifest.asc");
        assertThat(sig.getFileName().toString()).isEqualTo("vboxmcp.manifest.sig");

        // a consumer without vboxmcp
        Tools.Result g = gpg.gpg("--verify", asc.toString(), dir.resolve("vboxmcp.manifest").toString());
        assertThat(g.exit()).as(g.err()).isZero();
        Tools.Result s = Tools.sshVerify(tmp, Path.of(sshKey + ".pub"), dir.resolve("vboxmcp.manifest"), sig);
        assertThat(s.exit()).as(s.err()).isZero();
        assertThat(Tools.run(dir, List.of("sha256sum", "vboxmcp.manifest")).ok().out()).startsWith(digest.substring(7));

        Path pkg = tmp.resolve("demo-1.0.0.tar.gz");
        pub.pack(dir, pkg);
        Path alicePub = gpg.exportPublic(alice, tmp.resolve("alice.asc"));
        VerificationResult r = pub.verify(pkg, List.of(alicePub));
        assertThat(r.trusted()).isTrue();
        assertThat(r.signerFingerprint()).isEqualTo(alice);
        assertThat(r.manifestDigest()).isEqualTo(digest);
        assertThat(pub.verify(dir, List.of(Path.of(sshKey + ".pub"))).format()).isEqualTo("ssh");
        assertThat(TreeSnapshot.of(tmp).keySet()).as("verify extracts nothing").noneMatch(p -> p.contains(".extract-"));
    }

    @Test
    void verify_acceptsWhatPlainGpgAndSshKeygenSigned() throws Exception {
        Path dir = Fixtures.template(tmp.resolve("demo"));
        Tools.run(dir, List.of("bash", "-c", ManifestTest.SHELL_RECIPE), "NAME", "demo", "VERSION", "1.0.0").ok();
        gpg.detachSign(alice, dir.resolve("vboxmcp.manifest"), dir.resolve("vboxmcp.manifest.asc"));
        Path unprotected = Tools.sshKeygen(keys, "rsa", 3072, "");
        Tools.sshSign(tmp, unprotected, dir.resolve("vboxmcp.manifest"), "vboxmcp-template").ok();
        DefaultTemplatePublisher pub = new DefaultTemplatePublisher();
        assertThat(pub.verify(dir, List.of(gpg.exportPublic(alice, tmp.resolve("a.asc")))).signerFingerprint()).isEqualTo(alice);
        assertThat(pub.verify(dir, List.of(Path.of(unprotected + ".pub"))).format()).isEqualTo("ssh");
    }

    @Test
    void sign_refusesStaleManifestWrongPassphraseAndWritesNothing() throws Exception {
        DefaultTemplatePublisher pub = new DefaultTemplatePublisher();
        Path dir = Fixtures.template(tmp.resolve("demo"));
        pub.writeManifest(dir, "demo", Fixtures.V1);
        Path secret = gpg.exportSecret(alice, tmp.resolve("alice.secret.asc"));
        var before = TreeSnapshot.of(dir);
        assertThatThrownBy(() -> pub.signOpenPgp(dir, secret, "wrong".toCharArray()))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> pub.signSsh(dir, sshKey, "wrong".toCharArray()))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThat(TreeSnapshot.of(dir)).isEqualTo(before);
        Files.writeString(dir.resolve("README.md"), "edited after the manifest\n");
        var edited = TreeSnapshot.of(dir);
        assertThatThrownBy(() -> pub.signOpenPgp(dir, secret, Tools.Gpg.PASS.toCharArray()))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH));
        assertThat(TreeSnapshot.of(dir)).isEqualTo(edited);
    }

    @Test
    void verify_refusesUnsignedFolderAndWrongKey() throws Exception {
        DefaultTemplatePublisher pub = new DefaultTemplatePublisher();
        Path dir = Fixtures.template(tmp.resolve("demo"));
        pub.writeManifest(dir, "demo", Fixtures.V1);
        Path alicePub = gpg.exportPublic(alice, tmp.resolve("alice.asc"));
        assertThatThrownBy(() -> pub.verify(dir, List.of(alicePub))).isInstanceOfSatisfying(SignatureVerificationException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNTRUSTED));
        pub.signSsh(dir, sshKey, "pass phrase".toCharArray());
        assertThatThrownBy(() -> pub.verify(dir, List.of(alicePub))).isInstanceOfSatisfying(SignatureVerificationException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.SIGNATURE_INVALID));
    }
}
