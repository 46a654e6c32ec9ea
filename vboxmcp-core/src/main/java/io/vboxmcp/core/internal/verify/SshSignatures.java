package io.vboxmcp.core.internal.verify;

import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;
import io.vboxmcp.trust.TemplatePublisher;
import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.RSADigestSigner;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The SSHSIG format of {@code ssh-keygen -Y sign} (OpenSSH PROTOCOL.sshsig): verification against pinned keys and
 * signing with an OpenSSH private key. Ed25519, ECDSA (P-256/384/521) and RSA (rsa-sha2-256/512); namespace
 * {@value TemplatePublisher#SSH_NAMESPACE}. Stateless and thread-safe.
 */
public final class SshSignatures implements SignatureVerifier {
    public static final String FORMAT = "ssh";
    static final String NAMESPACE = TemplatePublisher.SSH_NAMESPACE;
    static final int MAX_SIGNATURE_BYTES = 16 * 1024;
    private static final byte[] MAGIC = "SSHSIG".getBytes(StandardCharsets.US_ASCII);
    private static final String BEGIN = "-----BEGIN SSH SIGNATURE-----";
    private static final String END = "-----END SSH SIGNATURE-----";
    // Order of the Ed25519 base point: a signature's S must be below it (RFC 8032 §5.1.7, SIG-10).
    private static final BigInteger ED25519_L = BigInteger.ONE.shiftLeft(252).add(new BigInteger("27742317777372353535851937790883648493"));

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public Check verify(byte[] signedData, byte[] signature, List<TrustedKey> keys, Instant now) {
        return verify(signedData, signature, keys, now, NAMESPACE);
    }

    @Override
    public Check verify(byte[] signedData, byte[] signature, List<TrustedKey> keys, Instant now, String expectedNamespace) {
        try {
            return verifyOrThrow(signedData, signature, keys, expectedNamespace);
        } catch (IllegalArgumentException e) {
            return Check.invalid("malformed SSH signature: " + e.getMessage());
        } catch (RuntimeException e) {
            // fail closed: any parser surprise is a refusal, never a pass
            return Check.invalid("SSH signature could not be checked: " + e);
        }
    }

    private Check verifyOrThrow(byte[] data, byte[] signature, List<TrustedKey> keys, String expectedNamespace) {
        if (signature.length > MAX_SIGNATURE_BYTES) return Check.invalid("SSH signature larger than " + MAX_SIGNATURE_BYTES + " bytes");
        SshWire.Reader r = new SshWire.Reader(dearmor(signature));
        if (!java.util.Arrays.equals(r.raw(6), MAGIC)) return Check.invalid("not an SSHSIG signature (bad magic)");
        long version = r.uint32();
        if (version != 1) return Check.invalid("unsupported SSHSIG version " + version);
        byte[] pk = r.string();
        String namespace = r.utf8();
        byte[] reserved = r.string();
        String hashAlg = r.utf8();
        byte[] sigField = r.string();
        if (!r.atEnd()) return Check.invalid("trailing bytes after the SSH signature");
        if (!expectedNamespace.equals(namespace)) {
            return Check.invalid("SSH signature namespace is '" + Printable.path(namespace) + "', expected '"
                    + Printable.path(expectedNamespace) + "'");
        }
        if (reserved.length != 0) return Check.invalid("SSH signature reserved field is not empty");
        if (!hashAlg.equals("sha256") && !hashAlg.equals("sha512")) {
            return Check.invalid("SSH signature hash '" + Printable.path(hashAlg) + "' is not sha256 or sha512");
        }
        SshPublicKeys.SshPublicKey signer = SshPublicKeys.parseBlob(pk, "");
        TrustedKey pinned = null;
        List<String> skipped = new ArrayList<>();
        for (TrustedKey k : keys) {
            if (!FORMAT.equals(k.format())) continue;
            SshPublicKeys.SshPublicKey candidate;
            try {
                candidate = SshPublicKeys.parseLine(k.material());
            } catch (IllegalArgumentException e) {
                skipped.add(k.fingerprint() + " (" + e.getMessage() + ")");
                continue;
            }
            if (!candidate.fingerprint().equals(k.fingerprint())) {
                skipped.add(k.fingerprint() + " (material is key " + candidate.fingerprint() + ")");
                continue;
            }
            if (MessageDigest.isEqual(candidate.blob(), pk)) {
                pinned = k;
                break;
            }
        }
        if (pinned == null) {
            return Check.invalid("SSH signature by key " + signer.fingerprint() + ", which is not pinned for this source"
                    + (skipped.isEmpty() ? "" : "; unusable pinned keys: " + String.join(", ", skipped)));
        }
        byte[] toVerify = signedBlob(namespace, hashAlg, hash(hashAlg, data));
        String problem = checkSignature(signer, sigField, toVerify);
        return problem == null ? Check.valid(pinned.fingerprint()) : Check.invalid(problem);
    }

    /** @return null if the signature is good, else why not */
    private static String checkSignature(SshPublicKeys.SshPublicKey key, byte[] sigField, byte[] message) {
        SshWire.Reader r = new SshWire.Reader(sigField);
        String sigType = r.utf8();
        byte[] blob = r.string();
        if (!r.atEnd()) return "trailing bytes in the SSH signature blob";
        AsymmetricKeyParameter p = key.params();
        switch (key.type()) {
            case "ssh-ed25519" -> {
                if (!sigType.equals("ssh-ed25519")) return "signature type " + Printable.path(sigType) + " does not match an Ed25519 key";
                if (blob.length != 64) return "Ed25519 signature is " + blob.length + " bytes, must be 64 (SIG-12)";
                // the key was validated (canonical, full order: SIG-11) when its blob was parsed
                byte[] sLe = java.util.Arrays.copyOfRange(blob, 32, 64);
                byte[] sBe = new byte[32];
                for (int i = 0; i < 32; i++) sBe[i] = sLe[31 - i];
                if (new BigInteger(1, sBe).compareTo(ED25519_L) >= 0) return "Ed25519 signature is not canonical (S >= L, SIG-10)";
                Ed25519Signer v = new Ed25519Signer();
                v.init(false, p);
                v.update(message, 0, message.length);
                return v.verifySignature(blob) ? null : "SSH Ed25519 signature does not verify";
            }
            case "ssh-rsa" -> {
                Digest d;
                if (sigType.equals("rsa-sha2-512")) d = new SHA512Digest();
                else if (sigType.equals("rsa-sha2-256")) d = new SHA256Digest();
                else return "RSA signature type '" + Printable.path(sigType) + "' is refused (SHA-1 is weak, SIG-07)";
                RSADigestSigner v = new RSADigestSigner(d);
                v.init(false, (RSAKeyParameters) p);
                v.update(message, 0, message.length);
                return v.verifySignature(blob) ? null : "SSH RSA signature does not verify";
            }
            default -> {
                if (!sigType.equals(key.type())) return "signature type " + Printable.path(sigType) + " does not match key type " + key.type();
                SshWire.Reader rs = new SshWire.Reader(blob);
                BigInteger rr = rs.mpint();
                BigInteger ss = rs.mpint();
                if (!rs.atEnd()) return "trailing bytes in the ECDSA signature";
                Digest d = ecDigest(key.type());
                byte[] h = new byte[d.getDigestSize()];
                d.update(message, 0, message.length);
                d.doFinal(h, 0);
                ECDSASigner v = new ECDSASigner();
                v.init(false, (ECPublicKeyParameters) p);
                return v.verifySignature(h, rr, ss) ? null : "SSH ECDSA signature does not verify";
            }
        }
    }

    /**
     * Signs like {@code ssh-keygen -Y sign -n vboxmcp-template -f key} (sha512, RSA as rsa-sha2-512).
     *
     * @return the armored signature, as ssh-keygen writes it
     */
    public static byte[] sign(byte[] data, SshPrivateKeys.KeyPair key) {
        byte[] toSign = signedBlob(NAMESPACE, "sha512", hash("sha512", data));
        byte[] sig;
        switch (key.publicKey().type()) {
            case "ssh-ed25519" -> {
                Ed25519Signer s = new Ed25519Signer();
                s.init(true, (Ed25519PrivateKeyParameters) key.privateKey());
                s.update(toSign, 0, toSign.length);
                sig = new SshWire.Writer().string("ssh-ed25519").string(s.generateSignature()).bytes();
            }
            case "ssh-rsa" -> {
                RSADigestSigner s = new RSADigestSigner(new SHA512Digest());
                s.init(true, key.privateKey());
                s.update(toSign, 0, toSign.length);
                byte[] raw;
                try {
                    raw = s.generateSignature();
                } catch (org.bouncycastle.crypto.CryptoException e) {
                    throw new IllegalStateException("RSA signing failed", e);
                }
                sig = new SshWire.Writer().string("rsa-sha2-512").string(raw).bytes();
            }
            default -> {
                Digest d = ecDigest(key.publicKey().type());
                byte[] h = new byte[d.getDigestSize()];
                d.update(toSign, 0, toSign.length);
                d.doFinal(h, 0);
                ECDSASigner s = new ECDSASigner(new HMacDSAKCalculator(ecDigest(key.publicKey().type())));
                s.init(true, (ECPrivateKeyParameters) key.privateKey());
                BigInteger[] rs = s.generateSignature(h);
                byte[] blob = new SshWire.Writer().mpint(rs[0]).mpint(rs[1]).bytes();
                sig = new SshWire.Writer().string(key.publicKey().type()).string(blob).bytes();
            }
        }
        byte[] blob = new SshWire.Writer().raw(MAGIC).uint32(1).string(key.publicKey().blob()).string(NAMESPACE)
                .string(new byte[0]).string("sha512").string(sig).bytes();
        return armor(blob);
    }

    private static Digest ecDigest(String type) {
        return switch (type) {
            case "ecdsa-sha2-nistp256" -> new SHA256Digest();
            case "ecdsa-sha2-nistp384" -> new SHA384Digest();
            case "ecdsa-sha2-nistp521" -> new SHA512Digest();
            default -> throw new IllegalArgumentException("unsupported SSH key type " + type);
        };
    }

    private static byte[] hash(String alg, byte[] data) {
        Digest d = alg.equals("sha256") ? new SHA256Digest() : new SHA512Digest();
        byte[] h = new byte[d.getDigestSize()];
        d.update(data, 0, data.length);
        d.doFinal(h, 0);
        return h;
    }

    private static byte[] signedBlob(String namespace, String hashAlg, byte[] hash) {
        return new SshWire.Writer().raw(MAGIC).string(namespace).string(new byte[0]).string(hashAlg).string(hash).bytes();
    }

    static byte[] armor(byte[] blob) {
        String b64 = Base64.getEncoder().encodeToString(blob);
        StringBuilder sb = new StringBuilder(BEGIN).append('\n');
        for (int i = 0; i < b64.length(); i += 70) {
            sb.append(b64, i, Math.min(b64.length(), i + 70)).append('\n');
        }
        sb.append(END).append('\n');
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Strict: one armored block, nothing but whitespace around it (SIG-03, SIG-05). */
    static byte[] dearmor(byte[] armored) {
        String text = new String(armored, StandardCharsets.US_ASCII).replace("\r\n", "\n").strip();
        if (!text.startsWith(BEGIN)) throw new IllegalArgumentException("does not start with " + BEGIN);
        if (!text.endsWith(END)) throw new IllegalArgumentException("does not end with " + END + " (truncated?)");
        String body = text.substring(BEGIN.length(), text.length() - END.length());
        if (body.contains("-----")) throw new IllegalArgumentException("more than one armored block");
        String b64 = body.replaceAll("\\s+", "");
        try {
            return Base64.getDecoder().decode(b64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("body is not valid base64");
        }
    }
}
