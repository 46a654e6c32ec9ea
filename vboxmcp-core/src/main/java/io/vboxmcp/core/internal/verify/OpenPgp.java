package io.vboxmcp.core.internal.verify;

import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.IssuerFingerprint;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPSignatureSubpacketVector;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * OpenPGP detached signatures (RFC 4880 v4, as {@code gpg --detach-sign} makes them) checked against pinned
 * certificates with BouncyCastle's lightweight API, and signing with a secret key file. Fails closed on every
 * absent or odd case: wrong type, weak hash, future or pre-key creation time, unknown, expired, revoked, unbound or
 * non-signing keys, inconsistent issuer. Stateless and thread-safe.
 */
public final class OpenPgp implements SignatureVerifier {
    public static final String FORMAT = "openpgp";
    static final int MAX_SIGNATURE_BYTES = 64 * 1024;
    public static final int MAX_KEY_BYTES = 1024 * 1024;
    /** Signatures may be dated this far ahead of the verifier's clock (skew between machines), no more (SIG-08). */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    static final Set<Integer> STRONG_HASHES = Set.of(HashAlgorithmTags.SHA256, HashAlgorithmTags.SHA384,
            HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA224, HashAlgorithmTags.SHA3_256, HashAlgorithmTags.SHA3_512);
    private static final String SIGNATURE_ARMOR = "-----BEGIN PGP SIGNATURE-----";
    private static final BcPGPContentVerifierBuilderProvider VERIFIERS = new BcPGPContentVerifierBuilderProvider();

    @Override
    public String format() {
        return FORMAT;
    }

    /** OpenPGP signatures carry no namespace; the purpose is the caller's (the signature type is still checked). */
    @Override
    public Check verify(byte[] signedData, byte[] signature, List<TrustedKey> keys, Instant now, String namespace) {
        return verify(signedData, signature, keys, now);
    }

    @Override
    public Check verify(byte[] signedData, byte[] signature, List<TrustedKey> keys, Instant now) {
        List<PGPSignature> sigs;
        try {
            sigs = parseSignatures(signature);
        } catch (IOException | RuntimeException | PGPException e) {
            return Check.invalid("malformed OpenPGP signature: " + e.getMessage());
        }
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        List<String> unusable = new ArrayList<>();
        for (TrustedKey k : keys) {
            if (!FORMAT.equals(k.format())) continue;
            try {
                PGPPublicKeyRing ring = readPublicKey(k.material());
                String fp = fingerprint(ring.getPublicKey());
                if (!fp.equals(normalizeFingerprint(k.fingerprint()))) {
                    unusable.add(k.fingerprint() + " (material is key " + fp + ", KEY-14)");
                    continue;
                }
                rings.add(ring);
            } catch (IllegalArgumentException e) {
                unusable.add(k.fingerprint() + " (" + e.getMessage() + ")");
            }
        }
        String reason = "no signature";
        for (PGPSignature sig : sigs) {
            try {
                Check c = verifyOne(sig, signedData, rings, now);
                if (c.valid()) return c;
                reason = c.reason();
            } catch (PGPException | RuntimeException e) {
                reason = "OpenPGP signature could not be checked: " + e.getMessage();
            }
        }
        return Check.invalid(reason + (unusable.isEmpty() ? "" : "; unusable pinned keys: " + String.join(", ", unusable)));
    }

    private Check verifyOne(PGPSignature sig, byte[] data, List<PGPPublicKeyRing> rings, Instant now) throws PGPException {
        if (sig.getVersion() != 4) return Check.invalid("OpenPGP signature version " + sig.getVersion() + " is not supported (v4 only)");
        if (sig.getSignatureType() != PGPSignature.BINARY_DOCUMENT) {
            return Check.invalid(String.format("OpenPGP signature type 0x%02x is not a binary document signature (SIG-06)", sig.getSignatureType()));
        }
        if (!STRONG_HASHES.contains(sig.getHashAlgorithm())) {
            return Check.invalid("OpenPGP signature uses weak or unknown hash algorithm " + hashName(sig.getHashAlgorithm()) + " (SIG-07)");
        }
        PGPSignatureSubpacketVector hashed = sig.getHashedSubPackets();
        if (hashed == null || hashed.getSignatureCreationTime() == null) return Check.invalid("OpenPGP signature has no hashed creation time");
        Instant created = sig.getCreationTime().toInstant();
        if (created.isAfter(now.plus(CLOCK_SKEW))) return Check.invalid("OpenPGP signature is dated in the future (" + created + ", SIG-08)");

        IssuerFingerprint ifp = hashed.getIssuerFingerprint();
        if (ifp == null && sig.getUnhashedSubPackets() != null) ifp = sig.getUnhashedSubPackets().getIssuerFingerprint();
        long keyId = sig.getKeyID();
        PGPPublicKey key = null;
        PGPPublicKeyRing ring = null;
        if (ifp != null) {
            byte[] want = ifp.getFingerprint();
            for (PGPPublicKeyRing r : rings) {
                for (Iterator<PGPPublicKey> it = r.getPublicKeys(); it.hasNext(); ) {
                    PGPPublicKey k = it.next();
                    if (java.util.Arrays.equals(k.getFingerprint(), want)) {
                        key = k;
                        ring = r;
                    }
                }
            }
            if (key != null && keyId != 0 && keyId != key.getKeyID()) {
                return Check.invalid("OpenPGP issuer key ID and issuer fingerprint disagree (KEY-14)");
            }
            if (key == null) {
                return Check.invalid("OpenPGP signature by key " + HexFormat.of().withUpperCase().formatHex(want) + ", which is not pinned for this source");
            }
        } else {
            for (PGPPublicKeyRing r : rings) {
                PGPPublicKey k = r.getPublicKey(keyId);
                if (k != null) {
                    key = k;
                    ring = r;
                }
            }
            if (key == null) {
                return Check.invalid(String.format("OpenPGP signature by key ID %016X, which is not pinned for this source", keyId));
            }
        }
        String problem = signingKeyProblem(ring, key, now, created);
        if (problem != null) return Check.invalid(problem);
        sig.init(VERIFIERS, key);
        sig.update(data);
        if (!sig.verify()) return Check.invalid("OpenPGP signature does not verify (data or signature altered)");
        return Check.valid(fingerprint(ring.getPublicKey()));
    }

    /**
     * Whether {@code key} of {@code ring} may make a data signature: bound by a valid self-signature, not revoked, not
     * expired at {@code now}, created before the signature, with the sign-data flag (KEY-11..13).
     *
     * @return null if usable, else why not
     */
    public static String signingKeyProblem(PGPPublicKeyRing ring, PGPPublicKey key, Instant now, Instant signatureTime) throws PGPException {
        PGPPublicKey primary = ring.getPublicKey();
        String id = fingerprint(primary);
        if (validRevocation(primary, primary, PGPSignature.KEY_REVOCATION)) return "key " + id + " is revoked (KEY-12)";
        PGPSignature self = latestValidSelfSignature(primary);
        if (self == null) return "key " + id + " has no valid self-signature";
        if (expired(primary, self, now)) return "key " + id + " expired (KEY-11)";
        PGPSignature binding = self;
        if (key != primary) {
            String sub = fingerprint(key);
            if (validRevocation(primary, key, PGPSignature.SUBKEY_REVOCATION)) return "subkey " + sub + " of " + id + " is revoked (KEY-12)";
            binding = latestValidBinding(primary, key);
            if (binding == null) return "subkey " + sub + " is not bound to pinned key " + id + " (KEY-13)";
            if (expired(key, binding, now)) return "subkey " + sub + " of " + id + " expired (KEY-11)";
            if (!hasFlag(binding, KeyFlags.SIGN_DATA)) return "subkey " + sub + " of " + id + " is not a signing subkey (KEY-13)";
            if (!hasBackSignature(primary, key, binding)) return "signing subkey " + sub + " has no valid primary-key binding (KEY-13)";
        } else if (binding.getHashedSubPackets() != null && binding.getHashedSubPackets().hasSubpacket(org.bouncycastle.bcpg.SignatureSubpacketTags.KEY_FLAGS)
                && !hasFlag(binding, KeyFlags.SIGN_DATA)) {
            return "key " + id + " is not allowed to sign data (KEY-13)";
        }
        if (signatureTime.isBefore(key.getCreationTime().toInstant())) {
            return "OpenPGP signature predates its key (SIG-08)";
        }
        return null;
    }

    private static boolean expired(PGPPublicKey key, PGPSignature selfOrBinding, Instant now) {
        PGPSignatureSubpacketVector v = selfOrBinding.getHashedSubPackets();
        long seconds = v == null ? 0 : v.getKeyExpirationTime();
        return seconds > 0 && !key.getCreationTime().toInstant().plusSeconds(seconds).isAfter(now);
    }

    private static boolean hasFlag(PGPSignature s, int flag) {
        PGPSignatureSubpacketVector v = s.getHashedSubPackets();
        return v != null && (v.getKeyFlags() & flag) != 0;
    }

    private static boolean validRevocation(PGPPublicKey primary, PGPPublicKey target, int type) throws PGPException {
        for (Iterator<PGPSignature> it = target.getSignaturesOfType(type); it.hasNext(); ) {
            PGPSignature s = it.next();
            if (s.getKeyID() != 0 && s.getKeyID() != primary.getKeyID()) continue;
            s.init(VERIFIERS, primary);
            boolean ok = target == primary ? s.verifyCertification(primary) : s.verifyCertification(primary, target);
            if (ok) return true;
        }
        return false;
    }

    private static PGPSignature latestValidSelfSignature(PGPPublicKey primary) throws PGPException {
        PGPSignature best = null;
        for (Iterator<String> ids = primary.getUserIDs(); ids.hasNext(); ) {
            String uid = ids.next();
            for (Iterator<PGPSignature> it = primary.getSignaturesForID(uid); it.hasNext(); ) {
                PGPSignature s = it.next();
                if (!s.isCertification() || s.getKeyID() != primary.getKeyID()) continue;
                s.init(VERIFIERS, primary);
                if (s.verifyCertification(uid, primary) && (best == null || s.getCreationTime().after(best.getCreationTime()))) best = s;
            }
        }
        for (Iterator<PGPSignature> it = primary.getSignaturesOfType(PGPSignature.DIRECT_KEY); it.hasNext(); ) {
            PGPSignature s = it.next();
            if (s.getKeyID() != primary.getKeyID()) continue;
            s.init(VERIFIERS, primary);
            if (s.verifyCertification(primary) && (best == null || s.getCreationTime().after(best.getCreationTime()))) best = s;
        }
        return best;
    }

    private static PGPSignature latestValidBinding(PGPPublicKey primary, PGPPublicKey sub) throws PGPException {
        PGPSignature best = null;
        for (Iterator<PGPSignature> it = sub.getSignaturesOfType(PGPSignature.SUBKEY_BINDING); it.hasNext(); ) {
            PGPSignature s = it.next();
            if (s.getKeyID() != 0 && s.getKeyID() != primary.getKeyID()) continue;
            s.init(VERIFIERS, primary);
            if (s.verifyCertification(primary, sub) && (best == null || s.getCreationTime().after(best.getCreationTime()))) best = s;
        }
        return best;
    }

    private static boolean hasBackSignature(PGPPublicKey primary, PGPPublicKey sub, PGPSignature binding) throws PGPException {
        List<PGPSignature> embedded = new ArrayList<>();
        if (binding.getHashedSubPackets() != null) binding.getHashedSubPackets().getEmbeddedSignatures().forEach(embedded::add);
        if (binding.getUnhashedSubPackets() != null) binding.getUnhashedSubPackets().getEmbeddedSignatures().forEach(embedded::add);
        for (PGPSignature s : embedded) {
            if (s.getSignatureType() != PGPSignature.PRIMARYKEY_BINDING) continue;
            s.init(VERIFIERS, sub);
            if (s.verifyCertification(primary, sub)) return true;
        }
        return false;
    }

    /** Strict: one armored {@code PGP SIGNATURE} block (or binary packets), signature packets only (SIG-03, SIG-05). */
    static List<PGPSignature> parseSignatures(byte[] signature) throws IOException, PGPException {
        if (signature.length > MAX_SIGNATURE_BYTES) throw new IOException("larger than " + MAX_SIGNATURE_BYTES + " bytes");
        byte[] body = signature;
        String head = new String(signature, 0, Math.min(signature.length, 64), StandardCharsets.ISO_8859_1).stripLeading();
        if (head.startsWith("-----")) {
            String text = new String(signature, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("-----END PGP SIGNATURE-----");
            if (!text.strip().startsWith(SIGNATURE_ARMOR)) throw new IOException("armor is not '" + SIGNATURE_ARMOR + "'");
            if (end < 0) throw new IOException("no armor end line (truncated?)");
            if (!text.substring(end + "-----END PGP SIGNATURE-----".length()).isBlank()) throw new IOException("content after the armored signature");
            try (ArmoredInputStream ain = ArmoredInputStream.builder().setDetectMissingCRC(false).build(new ByteArrayInputStream(signature))) {
                body = ain.readAllBytes();
            }
        }
        if (body.length == 0) throw new IOException("empty signature");
        PGPObjectFactory f = new BcPGPObjectFactory(body);
        List<PGPSignature> out = new ArrayList<>();
        Object o;
        while ((o = f.nextObject()) != null) {
            if (!(o instanceof PGPSignatureList list)) throw new IOException("unexpected " + o.getClass().getSimpleName() + " packet in a detached signature");
            for (PGPSignature s : list) out.add(s);
        }
        if (out.isEmpty()) throw new IOException("no signature packet");
        return out;
    }

    /**
     * @param material one armored or binary transferable public key
     * @throws IllegalArgumentException if it is not exactly one public key (secret keys are refused)
     */
    private static final String ARMOR_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
    private static final String ARMOR_END = "-----END PGP PUBLIC KEY BLOCK-----";

    private static int occurrences(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) n++;
        return n;
    }

    static PGPPublicKeyRing readPublicKey(byte[] material) {
        if (material.length > MAX_KEY_BYTES) throw new IllegalArgumentException("OpenPGP key file larger than " + MAX_KEY_BYTES + " bytes");
        String text = new String(material, StandardCharsets.ISO_8859_1);
        if (text.contains("PRIVATE KEY BLOCK")) throw new IllegalArgumentException("this is a secret key; pin the public key (gpg --export --armor)");
        // the armor decoder stops at the first END line: a second block or anything after it would be dropped
        // silently, so both are counted and refused here
        int blocks = occurrences(text, ARMOR_BEGIN);
        if (blocks > 1) throw new KeyCountException(blocks, "the file holds " + blocks + " armored OpenPGP public key blocks; pin one key per file");
        if (blocks == 1) {
            int end = text.indexOf(ARMOR_END);
            if (end < 0) throw new IllegalArgumentException("malformed OpenPGP public key: no '" + ARMOR_END + "' line");
            String rest = text.substring(end + ARMOR_END.length());
            if (!rest.isBlank()) throw new KeyCountException(1, "the file has " + rest.strip().length() + " bytes of data after its armored key block; pin a file that holds exactly one key");
        }
        try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(material))) {
            PGPObjectFactory f = new BcPGPObjectFactory(in);
            Object o = f.nextObject();
            if (o instanceof PGPSecretKeyRing) throw new IllegalArgumentException("this is a secret key; pin the public key (gpg --export --armor)");
            if (!(o instanceof PGPPublicKeyRing ring)) throw new IllegalArgumentException("not an OpenPGP public key");
            int keys = 1;
            Object next;
            while ((next = f.nextObject()) != null) {
                if (!(next instanceof PGPPublicKeyRing)) throw new KeyCountException(keys, "the file has data after its OpenPGP key (" + next.getClass().getSimpleName() + "); pin a file that holds exactly one key");
                keys++;
            }
            if (keys > 1) throw new KeyCountException(keys, "the file holds " + keys + " OpenPGP public keys; pin one key per file");
            return ring;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae) throw iae;
            throw new IllegalArgumentException("malformed OpenPGP public key: " + e.getMessage());
        }
    }

    static String fingerprint(PGPPublicKey k) {
        return HexFormat.of().withUpperCase().formatHex(k.getFingerprint());
    }

    static String normalizeFingerprint(String fp) {
        return fp.replace(" ", "").toUpperCase(Locale.ROOT);
    }

    static String primaryUserId(PGPPublicKeyRing ring) {
        Iterator<String> it = ring.getPublicKey().getUserIDs();
        return it.hasNext() ? it.next() : "";
    }

    static String algorithmName(int alg) {
        return switch (alg) {
            case PublicKeyAlgorithmTags.RSA_GENERAL, PublicKeyAlgorithmTags.RSA_SIGN -> "RSA";
            case PublicKeyAlgorithmTags.DSA -> "DSA";
            case PublicKeyAlgorithmTags.ECDSA -> "ECDSA";
            case PublicKeyAlgorithmTags.EDDSA_LEGACY -> "EdDSA";
            case PublicKeyAlgorithmTags.Ed25519 -> "Ed25519";
            case PublicKeyAlgorithmTags.Ed448 -> "Ed448";
            default -> "algorithm " + alg;
        };
    }

    private static String hashName(int alg) {
        return switch (alg) {
            case HashAlgorithmTags.MD5 -> "MD5";
            case HashAlgorithmTags.SHA1 -> "SHA-1";
            case HashAlgorithmTags.RIPEMD160 -> "RIPEMD-160";
            default -> "#" + alg;
        };
    }

    static byte[] armoredPublicKey(PGPPublicKeyRing ring) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArmoredOutputStream aos = ArmoredOutputStream.builder().clearHeaders().build(out)) {
            ring.encode(aos, true);
        }
        return out.toByteArray();
    }
}
