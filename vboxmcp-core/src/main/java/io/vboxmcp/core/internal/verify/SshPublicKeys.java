package io.vboxmcp.core.internal.verify;

import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.core.internal.util.Digests;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.util.OpenSSHPublicKeyUtil;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;

/** OpenSSH public keys as {@code authorized_keys} / {@code .pub} lines. */
final class SshPublicKeys {
    static final Set<String> TYPES = Set.of("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
            "ecdsa-sha2-nistp521");
    static final int MIN_RSA_BITS = 2048;

    private SshPublicKeys() {
    }

    /** A parsed public key: its wire blob (what SSHSIG embeds), type, parameters and comment. */
    record SshPublicKey(String type, byte[] blob, AsymmetricKeyParameter params, String comment) {
        String fingerprint() {
            return SshPublicKeys.fingerprint(blob);
        }
    }

    static String fingerprint(byte[] blob) {
        return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(Digests.sha256().digest(blob));
    }

    /**
     * @param material one line {@code <type> <base64> [comment]}; blank lines and {@code #} comments are skipped,
     *                 but exactly one key must remain
     * @throws IllegalArgumentException if it is not exactly one supported, well-formed public key
     */
    static SshPublicKey parseLine(byte[] material) {
        String text = new String(material, StandardCharsets.UTF_8);
        SshPublicKey found = null;
        long lines = text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).count();
        if (lines > 1) throw new KeyCountException((int) Math.min(Integer.MAX_VALUE, lines), "the file holds " + lines + " SSH key lines; pin one key per file");
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            String[] parts = l.split("\\s+", 3);
            if (parts.length < 2) throw new IllegalArgumentException("not an OpenSSH public key line");
            if (!TYPES.contains(parts[0])) {
                throw new IllegalArgumentException("unsupported SSH key type '" + Printable.path(parts[0])
                        + "' (supported: " + String.join(", ", new java.util.TreeSet<>(TYPES)) + "; options and certificates are not)");
            }
            byte[] blob;
            try {
                blob = Base64.getDecoder().decode(parts[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("SSH key is not valid base64");
            }
            found = parseBlob(blob, parts.length > 2 ? parts[2] : "");
            if (!found.type().equals(parts[0])) throw new IllegalArgumentException("SSH key line type does not match the key");
        }
        if (found == null) throw new IllegalArgumentException("no SSH public key found");
        return found;
    }

    static SshPublicKey parseBlob(byte[] blob, String comment) {
        SshWire.Reader r = new SshWire.Reader(blob);
        String type = r.utf8();
        if (!TYPES.contains(type)) throw new IllegalArgumentException("unsupported SSH key type '" + Printable.path(type) + "'");
        if (type.equals("ssh-ed25519")) {
            byte[] k = r.string();
            if (k.length != 32 || !r.atEnd()) throw new IllegalArgumentException("Ed25519 public key must be 32 bytes (SIG-12)");
            if (!org.bouncycastle.math.ec.rfc8032.Ed25519.validatePublicKeyFull(k, 0)) {
                throw new IllegalArgumentException("Ed25519 public key is non-canonical or of small order (SIG-11)");
            }
        }
        AsymmetricKeyParameter p;
        try {
            p = OpenSSHPublicKeyUtil.parsePublicKey(blob);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("malformed SSH public key: " + e.getMessage());
        }
        if (p instanceof RSAKeyParameters rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            throw new IllegalArgumentException("RSA key shorter than " + MIN_RSA_BITS + " bits");
        }
        if (!(p instanceof Ed25519PublicKeyParameters || p instanceof RSAKeyParameters || p instanceof ECPublicKeyParameters)) {
            throw new IllegalArgumentException("unsupported SSH key");
        }
        return new SshPublicKey(type, blob, p, comment == null ? "" : comment.strip());
    }

    static String line(SshPublicKey k) {
        return k.type() + " " + Base64.getEncoder().encodeToString(k.blob()) + (k.comment().isEmpty() ? "" : " " + k.comment());
    }
}
