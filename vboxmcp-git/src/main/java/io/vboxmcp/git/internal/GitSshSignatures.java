package io.vboxmcp.git.internal;

import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Verifies an SSH signature over a Git tag ({@code git tag -s} with {@code gpg.format=ssh}, namespace {@code git})
 * against the SSH keys pinned for the source, with the JDK's own algorithms: Ed25519, ECDSA P-256/384/521 and RSA
 * with SHA-2. Core's SSH verifier only accepts the template-manifest namespace, so a manifest signature can never be
 * replayed as a tag signature nor the reverse. Fails closed: anything odd is an invalid result.
 */
final class GitSshSignatures {
    static final String NAMESPACE = "git";
    private static final int MAX_SIGNATURE_BYTES = 16 * 1024;

    private GitSshSignatures() {
    }

    static SignatureVerifier.Check verify(byte[] data, byte[] armored, List<TrustedKey> keys) {
        try {
            return verifyOrThrow(data, armored, keys);
        } catch (RuntimeException | GeneralSecurityException e) {
            return SignatureVerifier.Check.invalid("SSH tag signature could not be checked: " + e.getMessage());
        }
    }

    private static SignatureVerifier.Check verifyOrThrow(byte[] data, byte[] armored, List<TrustedKey> keys)
            throws GeneralSecurityException {
        if (armored.length > MAX_SIGNATURE_BYTES) return SignatureVerifier.Check.invalid("SSH signature too large");
        ByteBuffer r = ByteBuffer.wrap(dearmor(armored));
        byte[] magic = new byte[6];
        r.get(magic);
        if (!"SSHSIG".equals(new String(magic, StandardCharsets.US_ASCII))) {
            return SignatureVerifier.Check.invalid("not an SSHSIG signature");
        }
        if (r.getInt() != 1) return SignatureVerifier.Check.invalid("unsupported SSHSIG version");
        byte[] pk = string(r);
        String namespace = new String(string(r), StandardCharsets.UTF_8);
        byte[] reserved = string(r);
        String hashAlg = new String(string(r), StandardCharsets.US_ASCII);
        byte[] sigField = string(r);
        if (r.hasRemaining()) return SignatureVerifier.Check.invalid("trailing bytes after the SSH signature");
        if (!NAMESPACE.equals(namespace)) {
            return SignatureVerifier.Check.invalid("SSH signature namespace is '" + TemplateFiles.printable(namespace)
                    + "', expected 'git'");
        }
        if (reserved.length != 0) return SignatureVerifier.Check.invalid("SSH signature reserved field is not empty");
        if (!hashAlg.equals("sha256") && !hashAlg.equals("sha512")) {
            return SignatureVerifier.Check.invalid("SSH signature hash is not sha256 or sha512");
        }
        String signerFingerprint = fingerprint(pk);
        TrustedKey pinned = null;
        for (TrustedKey k : keys) {
            if (!"ssh".equals(k.format())) continue;
            byte[] blob = blobOf(k.material());
            if (blob != null && MessageDigest.isEqual(blob, pk)) {
                pinned = k;
                break;
            }
        }
        if (pinned == null) {
            return SignatureVerifier.Check.invalid("SSH signature by key " + signerFingerprint
                    + ", which is not pinned for this source");
        }
        byte[] hash = MessageDigest.getInstance(hashAlg.equals("sha256") ? "SHA-256" : "SHA-512").digest(data);
        ByteBuffer signed = ByteBuffer.allocate(6 + 4 * 4 + namespace.length() + hashAlg.length() + hash.length);
        signed.put("SSHSIG".getBytes(StandardCharsets.US_ASCII));
        putString(signed, NAMESPACE.getBytes(StandardCharsets.UTF_8));
        putString(signed, new byte[0]);
        putString(signed, hashAlg.getBytes(StandardCharsets.US_ASCII));
        putString(signed, hash);
        boolean ok = check(pk, sigField, Arrays.copyOf(signed.array(), signed.position()));
        return ok ? SignatureVerifier.Check.valid(signerFingerprint)
                : SignatureVerifier.Check.invalid("SSH signature by " + signerFingerprint + " does not match the tag");
    }

    private static boolean check(byte[] pkBlob, byte[] sigField, byte[] message) throws GeneralSecurityException {
        ByteBuffer k = ByteBuffer.wrap(pkBlob);
        String keyType = new String(string(k), StandardCharsets.US_ASCII);
        ByteBuffer s = ByteBuffer.wrap(sigField);
        String sigType = new String(string(s), StandardCharsets.US_ASCII);
        byte[] sig = string(s);
        switch (keyType) {
            case "ssh-ed25519": {
                if (!sigType.equals("ssh-ed25519")) return false;
                byte[] raw = string(k);
                if (raw.length != 32 || sig.length != 64) return false;
                Signature v = Signature.getInstance("Ed25519");
                v.initVerify(ed25519(raw));
                v.update(message);
                return v.verify(sig);
            }
            case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521": {
                if (!sigType.equals(keyType)) return false;
                String curve = new String(string(k), StandardCharsets.US_ASCII);
                byte[] q = string(k);
                String std = switch (curve) {
                    case "nistp256" -> "secp256r1";
                    case "nistp384" -> "secp384r1";
                    case "nistp521" -> "secp521r1";
                    default -> throw new GeneralSecurityException("unknown curve");
                };
                String alg = switch (curve) {
                    case "nistp256" -> "SHA256withECDSAinP1363Format";
                    case "nistp384" -> "SHA384withECDSAinP1363Format";
                    default -> "SHA512withECDSAinP1363Format";
                };
                AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                params.init(new ECGenParameterSpec(std));
                ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
                int len = (spec.getCurve().getField().getFieldSize() + 7) / 8;
                if (q.length != 1 + 2 * len || q[0] != 4) return false;
                ECPoint point = new ECPoint(new BigInteger(1, Arrays.copyOfRange(q, 1, 1 + len)),
                        new BigInteger(1, Arrays.copyOfRange(q, 1 + len, q.length)));
                PublicKey pub = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, spec));
                ByteBuffer rs = ByteBuffer.wrap(sig);
                byte[] p1363 = new byte[2 * len];
                fixed(new BigInteger(string(rs)), p1363, 0, len);
                fixed(new BigInteger(string(rs)), p1363, len, len);
                Signature v = Signature.getInstance(alg);
                v.initVerify(pub);
                v.update(message);
                return v.verify(p1363);
            }
            case "ssh-rsa": {
                String alg = switch (sigType) {
                    case "rsa-sha2-256" -> "SHA256withRSA";
                    case "rsa-sha2-512" -> "SHA512withRSA";
                    default -> null; // SHA-1 "ssh-rsa" signatures are refused
                };
                if (alg == null) return false;
                BigInteger e = new BigInteger(string(k));
                BigInteger n = new BigInteger(string(k));
                if (n.bitLength() < 2048) return false;
                Signature v = Signature.getInstance(alg);
                v.initVerify(KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e)));
                v.update(message);
                return v.verify(sig);
            }
            default:
                return false;
        }
    }

    private static PublicKey ed25519(byte[] raw) throws GeneralSecurityException {
        byte[] le = raw.clone();
        boolean xOdd = (le[31] & 0x80) != 0;
        le[31] &= 0x7f;
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) be[i] = le[31 - i];
        return KeyFactory.getInstance("Ed25519").generatePublic(
                new EdECPublicKeySpec(NamedParameterSpec.ED25519, new EdECPoint(xOdd, new BigInteger(1, be))));
    }

    private static void fixed(BigInteger v, byte[] out, int off, int len) throws GeneralSecurityException {
        byte[] b = v.toByteArray();
        int start = b.length > len ? b.length - len : 0;
        for (int i = 0; i < start; i++) {
            if (b[i] != 0) throw new GeneralSecurityException("ECDSA signature component too large");
        }
        System.arraycopy(b, start, out, off + len - (b.length - start), b.length - start);
    }

    static String fingerprint(byte[] blob) {
        try {
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(blob));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the key blob of an {@code authorized_keys} line, or null if there is none */
    static byte[] blobOf(byte[] line) {
        List<String> tokens = new ArrayList<>(Arrays.asList(new String(line, StandardCharsets.UTF_8).trim().split("\\s+")));
        for (int i = 0; i + 1 < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t.startsWith("ssh-") || t.startsWith("ecdsa-")) {
                try {
                    byte[] blob = Base64.getDecoder().decode(tokens.get(i + 1));
                    ByteBuffer b = ByteBuffer.wrap(blob);
                    if (new String(string(b), StandardCharsets.US_ASCII).equals(t)) return blob;
                } catch (RuntimeException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private static byte[] dearmor(byte[] armored) {
        StringBuilder b64 = new StringBuilder();
        boolean begun = false;
        for (String line : new String(armored, StandardCharsets.US_ASCII).split("\n")) {
            String l = line.trim();
            if (l.equals("-----BEGIN SSH SIGNATURE-----")) {
                begun = true;
                continue;
            }
            if (l.equals("-----END SSH SIGNATURE-----")) break;
            if (begun) b64.append(l);
        }
        if (!begun) throw new IllegalArgumentException("no SSH signature armor");
        return Base64.getDecoder().decode(b64.toString());
    }

    private static byte[] string(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) throw new IllegalArgumentException("truncated SSH wire string");
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }

    private static void putString(ByteBuffer b, byte[] s) {
        b.putInt(s.length);
        b.put(s);
    }
}
