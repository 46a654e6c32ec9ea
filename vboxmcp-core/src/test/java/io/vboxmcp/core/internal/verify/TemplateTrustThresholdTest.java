package io.vboxmcp.core.internal.verify;

import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.archive.TreeSnapshot;
import io.vboxmcp.core.internal.publish.DefaultTemplatePublisher;
import io.vboxmcp.core.internal.publish.Packager;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.TrustPolicy;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.FetchedTemplate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Signature thresholds (KEY-01..05, SIG-09 of threats.md): a template is trusted only if valid signatures by at least
 * {@code threshold} distinct pinned keys verify over its manifest. Keys and signatures are made by the real gpg and
 * ssh-keygen; signature files with several signatures are made by concatenating what the tools write, as a publisher
 * would. Every refusal carries the typed error and changes nothing on disk.
 */
class TemplateTrustThresholdTest {
    @TempDir
    static Path keyDir;
    static Tools.Gpg gpg;
    static String alice;
    static String bob;
    static String carol;
    static String mallory;     // never pinned
    static Path sshA;
    static Path sshB;

    @TempDir
    Path tmp;
    Path home;
    Path work;
    Path dir;
    PinnedKeyStore store;

    @BeforeAll
    static void keys() throws Exception {
        gpg = new Tools.Gpg(keyDir.resolve("gnupg"));
        alice = gpg.generate("Alice <alice@example.org>", "ed25519", "sign", "0");
        bob = gpg.generate("Bob <bob@example.org>", "ed25519", "sign", "0");
        carol = gpg.generate("Carol <carol@example.org>", "ed25519", "sign", "0");
        mallory = gpg.generate("Mallory <mallory@example.org>", "ed25519", "sign", "0");
        Path a = Files.createDirectories(keyDir.resolve("ssh-a"));
        Path b = Files.createDirectories(keyDir.resolve("ssh-b"));
        sshA = Tools.sshKeygen(a, "ed25519", 0, "");
        sshB = Tools.sshKeygen(b, "ecdsa", 256, "");
    }

    @AfterAll
    static void stopAgent() throws Exception {
        gpg.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        home = Files.createDirectories(tmp.resolve("home"));
        work = Files.createDirectories(tmp.resolve("work"));
        store = new PinnedKeyStore(home);
        dir = Fixtures.template(tmp.resolve("demo"));
        new DefaultTemplatePublisher().writeManifest(dir, "demo", Fixtures.V1);
    }

    // ---------------------------------------------------------------- helpers

    private void pin(String sourceId, String... fprs) throws Exception {
        for (String fpr : fprs) store.add(sourceId, gpg.exportPublic(fpr, tmp.resolve(fpr + ".asc")));
    }

    private void pinSsh(Path privateKey) throws Exception {
        store.add("acme", Path.of(privateKey + ".pub"));
    }

    private static String sshFingerprint(Path privateKey) throws Exception {
        return SshPublicKeys.parseLine(Files.readAllBytes(Path.of(privateKey + ".pub"))).fingerprint();
    }

    /** One gpg signature over the manifest, as its own armored file (not yet the template's). */
    private byte[] gpgSig(String fpr, String... extra) throws Exception {
        Path out = tmp.resolve("sig-" + fpr + "-" + extra.length + ".asc");
        return Files.readAllBytes(gpg.detachSign(fpr + "!", dir.resolve(Manifest.FILE_NAME), out, extra));
    }

    /** One ssh-keygen signature over the manifest (ssh-keygen writes next to the signed file, so sign a copy). */
    private byte[] sshSig(Path key) throws Exception {
        Path scratch = Files.createDirectories(tmp.resolve("ssh-" + key.getFileName()));
        Path copy = scratch.resolve(Manifest.FILE_NAME);
        Files.copy(dir.resolve(Manifest.FILE_NAME), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(scratch.resolve(Manifest.SSH_SIGNATURE));
        Tools.sshSign(scratch, key, copy, "vboxmcp-template").ok();
        return Files.readAllBytes(scratch.resolve(Manifest.SSH_SIGNATURE));
    }

    /** {@code cat a b c > file}: what a publisher does to combine signatures. */
    private static void cat(Path file, byte[]... parts) throws Exception {
        var out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) out.write(p);
        Files.write(file, out.toByteArray());
    }

    private Path asc() {
        return dir.resolve(Manifest.OPENPGP_SIGNATURE);
    }

    private Path sig() {
        return dir.resolve(Manifest.SSH_SIGNATURE);
    }

    private TemplateTrust trust(int threshold) {
        return Fixtures.trust(home, TrustPolicy.defaults().withThreshold("acme", threshold), Clock.systemUTC());
    }

    private FetchedTemplate remote() {
        return Fixtures.fetched(dir, true, List.of());
    }

    private SignatureVerificationException refused(TemplateTrust t, FetchedTemplate f, ErrorCode code) throws Exception {
        var homeBefore = TreeSnapshot.of(home);
        var workBefore = TreeSnapshot.of(work);
        var dirBefore = TreeSnapshot.of(dir);
        SignatureVerificationException[] caught = new SignatureVerificationException[1];
        assertThatThrownBy(() -> t.verify(f, work)).isInstanceOfSatisfying(SignatureVerificationException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
            assertThat(e.result().trusted()).isFalse();
            assertThat(e.result().signerFingerprint()).isNull();
            caught[0] = e;
        });
        assertThat(TreeSnapshot.of(home)).as("trust store unchanged").isEqualTo(homeBefore);
        assertThat(TreeSnapshot.of(work)).as("work dir unchanged").isEqualTo(workBefore);
        assertThat(TreeSnapshot.of(dir)).as("template unchanged").isEqualTo(dirBefore);
        return caught[0];
    }

    // ---------------------------------------------------------------- policy

    @Test
    void policy_thresholdDefaultsToOne_starSetsTheDefault_belowOneIsRefused() {
        TrustPolicy p = TrustPolicy.defaults();
        assertThat(p.threshold("acme")).isEqualTo(1);
        assertThat(new TrustPolicy(false, true, Set.of("lab")).thresholds()).isEmpty();
        TrustPolicy star = p.withThreshold("*", 2).withThreshold("acme", 3);
        assertThat(star.threshold("acme")).isEqualTo(3);
        assertThat(star.threshold("other")).isEqualTo(2);
        assertThat(p.threshold("other")).as("withThreshold returns a copy").isEqualTo(1);
        assertThatThrownBy(() -> p.withThreshold("acme", 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new TrustPolicy(false, true, Set.of(), Map.of("acme", -1))).isInstanceOf(IllegalArgumentException.class);
        assertThat(new TrustPolicy(false, false, Set.of("acme")).withThreshold("acme", 2).requiresSignature("acme", false))
                .as("a threshold above 1 requires a signature even from a source allowed to be unsigned").isTrue();
    }

    @Test
    void threshold_defaultOne_unchanged_oneSignatureIsEnough() throws Exception {
        pin("acme", alice, bob);
        Files.write(asc(), gpgSig(alice));
        var v = Fixtures.trust(home, TrustPolicy.defaults(), Clock.systemUTC()).verify(remote(), work);
        assertThat(v.signer()).isEqualTo(alice);
        assertThat(v.result().reason()).isEqualTo("signed by pinned key " + alice + " (" + Manifest.OPENPGP_SIGNATURE + ")");
    }

    @Test
    void threshold_refusesUnsignedLocalFolderWhenAboveOne() throws Exception {
        pin("acme", alice, bob);
        Files.delete(dir.resolve(Manifest.FILE_NAME));
        var e = refused(trust(2), Fixtures.fetched(dir, false, List.of()), ErrorCode.UNTRUSTED);
        assertThat(e.getMessage()).contains("not signed");
    }

    // ---------------------------------------------------------------- accepted

    @Test
    void threshold_twoOfThree_gpgBlocksConcatenated_accepted_andReasonNamesBothSigners() throws Exception {
        pin("acme", alice, bob, carol);
        cat(asc(), gpgSig(alice), gpgSig(bob));
        var v = trust(2).verify(remote(), work);
        assertThat(v.signer()).as("the first accepted signer").isEqualTo(alice);
        assertThat(v.result().format()).isEqualTo("openpgp");
        assertThat(v.result().reason()).contains("2 distinct pinned keys (threshold 2)").contains(alice).contains(bob);
    }

    @Test
    void threshold_twoSignaturePacketsInOneGpgBlock_accepted() throws Exception {
        pin("acme", alice, bob);
        Files.write(asc(), gpgSig(alice, "--local-user", bob + "!"));
        assertThat(new String(Files.readAllBytes(asc()), StandardCharsets.US_ASCII)).as("one armored block")
                .containsOnlyOnce("BEGIN PGP SIGNATURE");
        var v = trust(2).verify(remote(), work);
        assertThat(v.result().reason()).contains(alice).contains(bob);
    }

    @Test
    void threshold_openPgpPlusSshSigner_meetTwo_inFolderAndPackage() throws Exception {
        pin("acme", alice);
        pinSsh(sshA);
        Files.write(asc(), gpgSig(alice));
        Files.write(sig(), sshSig(sshA));
        var folder = trust(2).verify(remote(), work);
        assertThat(folder.result().reason()).contains(alice).contains(sshFingerprint(sshA));
        Path pkg = tmp.resolve("demo-1.0.0.tar.gz");
        new Packager().pack(dir, pkg);
        var pack = trust(2).verify(Fixtures.fetched(pkg, true, List.of()), work);
        assertThat(pack.manifestDigest()).isEqualTo(folder.manifestDigest());
        assertThat(pack.result().reason()).contains(alice).contains(sshFingerprint(sshA));
        // one of the two alone is not enough
        Files.delete(sig());
        refused(trust(2), remote(), ErrorCode.UNTRUSTED);
    }

    @Test
    void threshold_twoSshBlocksConcatenated_accepted() throws Exception {
        pinSsh(sshA);
        pinSsh(sshB);
        cat(sig(), sshSig(sshA), sshSig(sshB));
        var v = trust(2).verify(remote(), work);
        assertThat(v.signer()).isEqualTo(sshFingerprint(sshA));
        assertThat(v.result().format()).isEqualTo("ssh");
        assertThat(v.result().reason()).contains(sshFingerprint(sshB));
    }

    @Test
    void threshold_preVerifiedSourceSignerCountsAsOne() throws Exception {
        pin("acme", alice, bob);
        Files.write(asc(), gpgSig(bob));
        var tagged = new FetchedTemplate("demo", Fixtures.V1, dir, List.of(), "acme", true, "git tag v1.0.0", alice);
        var v = trust(2).verify(tagged, work);
        assertThat(v.signer()).isEqualTo(alice);
        assertThat(v.result().reason()).contains(bob).contains("git tag v1.0.0");
        // the tag signer and the same key's file signature are one signer
        Files.write(asc(), gpgSig(alice));
        var e = refused(trust(2), tagged, ErrorCode.UNTRUSTED);
        assertThat(e.getMessage()).contains("counted once");
    }

    // ---------------------------------------------------------------- KEY and SIG rows

    @Test
    void threshold_refusesTwoValidSignaturesWhenThreeRequired_KEY01() throws Exception {
        pin("acme", alice, bob, carol);
        cat(asc(), gpgSig(alice), gpgSig(bob));
        var e = refused(trust(3), remote(), ErrorCode.UNTRUSTED);
        assertThat(e.getMessage()).contains("2 distinct pinned keys").contains("requires 3")
                .contains(Manifest.OPENPGP_SIGNATURE + "#1: signed by pinned key " + alice)
                .contains(Manifest.OPENPGP_SIGNATURE + "#2: signed by pinned key " + bob);
    }

    @Test
    void threshold_refusesThresholdAboveThePinnedKeys_KEY02() throws Exception {
        pin("acme", alice, bob);
        pinSsh(sshA);
        cat(asc(), gpgSig(alice), gpgSig(bob));
        Files.write(sig(), sshSig(sshA));
        var e = refused(trust(4), remote(), ErrorCode.UNTRUSTED);
        assertThat(e.getMessage()).contains("requires signatures by 4 distinct pinned keys, but only 3 distinct keys are pinned");
    }

    @Test
    void threshold_sameSignatureRepeatedCountsOnce_KEY03() throws Exception {
        pin("acme", alice, bob);
        byte[] one = gpgSig(alice);
        cat(asc(), one, one, one);
        // and once more, delivered by the source beside the template
        var f = Fixtures.fetched(dir, true, List.of(new DetachedSignature("openpgp", one, "demo.asc")));
        var e = refused(trust(2), f, ErrorCode.UNTRUSTED);
        assertThat(e.getMessage()).contains("1 distinct pinned key verify").contains("counted once");
        // the same for SSH
        Files.delete(asc());
        pinSsh(sshA);
        byte[] s = sshSig(sshA);
        cat(sig(), s, s);
        assertThat(refused(trust(2), remote(), ErrorCode.UNTRUSTED).getMessage()).contains("counted once");
    }

    @Test
    void threshold_keyPinnedTwiceCountsOnce_KEY04() throws Exception {
        pin("acme", alice, bob);
        pin("global", alice);
        assertThat(store.keysFor("acme")).hasSize(3);
        cat(asc(), gpgSig(alice), gpgSig(bob));
        var e = refused(trust(3), remote(), ErrorCode.UNTRUSTED);
        assertThat(e.getMessage()).contains("only 2 distinct keys are pinned");
        // alice's signature, twice, cannot reach 2 because alice is listed twice
        byte[] a = gpgSig(alice);
        cat(asc(), a, a);
        assertThat(refused(trust(2), remote(), ErrorCode.UNTRUSTED).getMessage()).contains("1 distinct pinned key verify");
    }

    @Test
    void threshold_metPlusInvalidSignatureFromAnotherPinnedKey_accepted_KEY05() throws Exception {
        pin("acme", alice, bob, carol);
        // carol signed a different manifest: a well-formed signature that does not verify here
        byte[] realManifest = Files.readAllBytes(dir.resolve(Manifest.FILE_NAME));
        Files.writeString(dir.resolve(Manifest.FILE_NAME), new String(realManifest, StandardCharsets.UTF_8).replace("demo", "other"));
        byte[] carolsOther = gpgSig(carol);
        Files.write(dir.resolve(Manifest.FILE_NAME), realManifest);
        byte[] garbage = "-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n".getBytes(StandardCharsets.US_ASCII);
        cat(asc(), gpgSig(alice), carolsOther, garbage, gpgSig(bob));
        var v = trust(2).verify(remote(), work);
        assertThat(v.signer()).isEqualTo(alice);
        assertThat(v.result().reason()).contains("does not verify").contains(bob);
        // below the threshold, the invalid ones are not silently ignored: every outcome is listed
        var e = refused(trust(3), remote(), ErrorCode.SIGNATURE_INVALID);
        assertThat(e.getMessage()).contains("#1: signed by pinned key " + alice).contains("#2: OpenPGP signature does not verify")
                .contains("#3: malformed").contains("#4: signed by pinned key " + bob);
    }

    @Test
    void threshold_unknownSignerIsIgnoredOnlyOnceThresholdIsMet_SIG09() throws Exception {
        pin("acme", alice, bob);
        cat(asc(), gpgSig(mallory), gpgSig(alice));
        var v = trust(1).verify(remote(), work);
        assertThat(v.signer()).isEqualTo(alice);
        assertThat(v.result().reason()).contains("not pinned");
        // mallory does not count towards 2
        var e = refused(trust(2), remote(), ErrorCode.SIGNATURE_INVALID);
        assertThat(e.getMessage()).contains("which is not pinned for this source").contains("signed by pinned key " + alice);
    }

    @Test
    void threshold_refusesMoreSignaturesThanTheCap() throws Exception {
        pin("acme", alice, bob);
        byte[] a = gpgSig(alice);
        byte[][] many = new byte[SignatureFiles.MAX_SIGNATURES + 1][];
        java.util.Arrays.fill(many, a);
        cat(asc(), many);
        var e = refused(trust(1), remote(), ErrorCode.SIGNATURE_INVALID);
        assertThat(e.getMessage()).contains("17 signatures, more than the 16 allowed");
        // 16 are fine
        cat(asc(), java.util.Arrays.copyOf(many, SignatureFiles.MAX_SIGNATURES));
        assertThat(trust(1).verify(remote(), work).signer()).isEqualTo(alice);
    }

    @Test
    void threshold_textAroundConcatenatedBlocksRefusesTheWholeFile_SIG05() throws Exception {
        pin("acme", alice, bob);
        cat(asc(), gpgSig(alice), "unsigned text\n".getBytes(StandardCharsets.US_ASCII), gpgSig(bob));
        refused(trust(1), remote(), ErrorCode.SIGNATURE_INVALID);
    }
}
