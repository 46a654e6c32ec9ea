package io.vboxmcp.git.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits an annotated tag's raw buffer into the signed payload and the signature block appended to its message,
 * the way {@code git verify-tag} does: the signature starts at the last line that begins with a signature
 * armor header; everything before it is what was signed.
 */
final class TagSignatures {
    static final String OPENPGP = "openpgp";
    static final String SSH = "ssh";
    static final String X509 = "x509";

    private static final byte[] PGP = "-----BEGIN PGP SIGNATURE-----".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SSH_SIG = "-----BEGIN SSH SIGNATURE-----".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] X509_SIG = "-----BEGIN SIGNED MESSAGE-----".getBytes(StandardCharsets.US_ASCII);

    /** @param payload the signed bytes; @param signature the armored signature; @param format openpgp, ssh or x509 */
    record Split(byte[] payload, byte[] signature, String format) {
    }

    private TagSignatures() {
    }

    /** @return the payload and signature, or null if the tag carries no signature */
    static Split split(byte[] raw) {
        int bodyStart = indexOf(raw, new byte[] {'\n', '\n'}, 0);
        if (bodyStart < 0) return null;
        int match = -1;
        String format = null;
        int pos = bodyStart + 2;
        while (pos < raw.length) {
            String f = startsWith(raw, pos, PGP) ? OPENPGP : startsWith(raw, pos, SSH_SIG) ? SSH
                    : startsWith(raw, pos, X509_SIG) ? X509 : null;
            if (f != null) {
                match = pos;
                format = f;
            }
            int eol = indexOf(raw, new byte[] {'\n'}, pos);
            pos = eol < 0 ? raw.length : eol + 1;
        }
        if (match < 0) return null;
        return new Split(Arrays.copyOfRange(raw, 0, match), Arrays.copyOfRange(raw, match, raw.length), format);
    }

    private static boolean startsWith(byte[] raw, int pos, byte[] prefix) {
        if (raw.length - pos < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) {
            if (raw[pos + i] != prefix[i]) return false;
        }
        return true;
    }

    private static int indexOf(byte[] raw, byte[] needle, int from) {
        outer:
        for (int i = from; i <= raw.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (raw[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }
}
