package io.vboxmcp.core.internal.verify;

import io.vboxmcp.core.internal.publish.OpenPgpSigner;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Both directions with the real tools: we accept what gpg / ssh-keygen sign, and they accept what we sign. */
class InteropTest {
    @TempDir
    Path tmp;

    private Path data() throws Exception {
        Path f = tmp.resolve("vboxmcp.manifest");
        Files.writeString(f, "vboxmcp-manifest 1\nname demo\nversion 1.0.0\n", StandardCharsets.UTF_8);
        return f;
    }

    private static TrustedKey sshKey(Path pub) throws Exception {
        byte[] m = Files.readAllBytes(pub);
        return new TrustedKey("ssh", SshPublicKeys.parseLine(m).fingerprint(), m, "test");
    }

    @ParameterizedTest
    @CsvSource({"ed25519,0", "ecdsa,256", "ecdsa,384", "ecdsa,521", "rsa,3072"})
    void ssh_weVerifySshKeygenSignatures(String type, int bits) throws Exception {
        Path key = Tools.sshKeygen(tmp, type, bits, "");
        Path file = data();
        Tools.sshSign(tmp, key, file, "vboxmcp-template").ok();
        byte[] sig = Files.readAllBytes(Path.of(file + ".sig"));
        TrustedKey pinned = sshKey(Path.of(key + ".pub"));

        SignatureVerifier.Check c = new SshSignatures().verify(Files.readAllBytes(file), sig, List.of(pinned), Instant.now());

        assertThat(c.valid()).as(c.reason()).isTrue();
        assertThat(c.fingerprint()).isEqualTo(pinned.fingerprint());
        String keygenFp = Tools.run(tmp, List.of("ssh-keygen", "-l", "-f", key + ".pub")).ok().out().split(" ")[1];
        assertThat(pinned.fingerprint()).as("fingerprint printed like ssh-keygen -l").isEqualTo(keygenFp);
    }

    @ParameterizedTest
    @CsvSource({"ed25519,0,", "ecdsa,256,", "ecdsa,384,", "ecdsa,521,secret pass", "rsa,3072,", "ed25519,0,secret pass"})
    void ssh_sshKeygenVerifiesOurSignatures(String type, int bits, String pass) throws Exception {
        Path key = Tools.sshKeygen(tmp, type, bits, pass == null ? "" : pass);
        Path file = data();
        byte[] sig = SshSignatures.sign(Files.readAllBytes(file),
                SshPrivateKeys.read(Files.readAllBytes(key), (pass == null ? "" : pass).toCharArray()));
        Path sigFile = tmp.resolve("ours.sig");
        Files.write(sigFile, sig);

        Tools.Result r = Tools.sshVerify(tmp, Path.of(key + ".pub"), file, sigFile);

        assertThat(r.exit()).as(r.err() + r.out()).isZero();
        assertThat(r.out() + r.err()).contains("Good \"vboxmcp-template\" signature");
    }

    @Test
    void openpgp_weVerifyGpgSignatures_primaryAndSubkey() throws Exception {
        try (Tools.Gpg gpg = new Tools.Gpg(tmp.resolve("g"))) {
            String fpr = gpg.generate("Alice <alice@example.org>", "ed25519", "sign", "0");
            Path file = data();
            Path sig = gpg.detachSign(fpr + "!", file, tmp.resolve("p.asc"));
            TrustedKey pinned = new TrustedKey("openpgp", fpr, Files.readAllBytes(gpg.exportPublic(fpr, tmp.resolve("a.asc"))), "alice");
            SignatureVerifier.Check c = new OpenPgp().verify(Files.readAllBytes(file), Files.readAllBytes(sig), List.of(pinned), Instant.now());
            assertThat(c.valid()).as(c.reason()).isTrue();
            assertThat(c.fingerprint()).isEqualTo(fpr);

            gpg.gpg("--quick-add-key", fpr, "rsa3072", "sign", "0").ok();
            Path sig2 = gpg.detachSign(fpr, file, tmp.resolve("s.asc"));
            TrustedKey pinned2 = new TrustedKey("openpgp", fpr, Files.readAllBytes(gpg.exportPublic(fpr, tmp.resolve("a2.asc"))), "alice");
            SignatureVerifier.Check c2 = new OpenPgp().verify(Files.readAllBytes(file), Files.readAllBytes(sig2), List.of(pinned2), Instant.now());
            assertThat(c2.valid()).as(c2.reason()).isTrue();
            assertThat(c2.fingerprint()).as("the pinned primary, not the subkey").isEqualTo(fpr);
        }
    }

    @ParameterizedTest
    @CsvSource({"ed25519", "rsa3072", "nistp256"})
    void openpgp_gpgVerifiesOurSignatures(String algo) throws Exception {
        try (Tools.Gpg gpg = new Tools.Gpg(tmp.resolve("g"))) {
            String fpr = gpg.generate("Bob <bob@example.org>", algo, "sign", "0");
            Path secret = gpg.exportSecret(fpr, tmp.resolve("secret.asc"));
            Path file = data();
            byte[] sig = OpenPgpSigner.sign(Files.readAllBytes(file), Files.readAllBytes(secret), Tools.Gpg.PASS.toCharArray(), Instant.now());
            Path sigFile = tmp.resolve("ours.asc");
            Files.write(sigFile, sig);

            Tools.Result r = gpg.gpg("--verify", sigFile.toString(), file.toString());

            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).contains("Good signature from \"Bob <bob@example.org>\"");
        }
    }
}
