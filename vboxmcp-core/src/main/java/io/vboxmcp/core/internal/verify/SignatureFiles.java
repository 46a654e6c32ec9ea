package io.vboxmcp.core.internal.verify;

import io.vboxmcp.spi.DetachedSignature;
import org.bouncycastle.openpgp.PGPSignature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a signature file into the individual signatures it holds, so that each one is verified (and counted
 * towards a threshold) on its own: several armored OpenPGP blocks or several signature packets in one block
 * ({@code cat a.asc b.asc > vboxmcp.manifest.asc}), several concatenated SSH signature blocks. Strict: a file with
 * anything but whitespace between or around its blocks, or a block that does not parse, is passed on whole so the
 * verifier refuses it with its own reason (SIG-03, SIG-05). Stateless.
 */
final class SignatureFiles {
    /** At most this many individual signatures per template, all files together; more is refused unread. */
    static final int MAX_SIGNATURES = 16;

    private static final String PGP_BEGIN = "-----BEGIN PGP SIGNATURE-----";
    private static final String PGP_END = "-----END PGP SIGNATURE-----";
    private static final String SSH_BEGIN = "-----BEGIN SSH SIGNATURE-----";
    private static final String SSH_END = "-----END SSH SIGNATURE-----";

    private SignatureFiles() {
    }

    /**
     * @return the individual signatures, each named {@code file} or {@code file#n} when the file holds several; a
     *         file that cannot be split is returned whole
     */
    static List<DetachedSignature> split(DetachedSignature file) {
        List<byte[]> parts = switch (file.format()) {
            case OpenPgp.FORMAT -> splitOpenPgp(file.bytes());
            case SshSignatures.FORMAT -> blocks(file.bytes(), SSH_BEGIN, SSH_END);
            default -> List.of(file.bytes());
        };
        if (parts.size() == 1) return List.of(file);
        List<DetachedSignature> out = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            out.add(new DetachedSignature(file.format(), parts.get(i), file.fileName() + "#" + (i + 1)));
        }
        return out;
    }

    private static List<byte[]> splitOpenPgp(byte[] bytes) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] block : blocks(bytes, PGP_BEGIN, PGP_END)) {
            List<PGPSignature> sigs;
            try {
                sigs = OpenPgp.parseSignatures(block);
            } catch (IOException | RuntimeException | org.bouncycastle.openpgp.PGPException e) {
                out.add(block);  // the verifier says what is wrong with it
                continue;
            }
            if (sigs.size() == 1) {
                out.add(block);
                continue;
            }
            for (PGPSignature s : sigs) {
                try {
                    out.add(s.getEncoded());
                } catch (IOException e) {
                    out.add(block);
                    break;
                }
            }
        }
        return out;
    }

    /**
     * @return the armored blocks of a file made only of such blocks and whitespace; else the whole file as one part
     */
    private static List<byte[]> blocks(byte[] bytes, String begin, String end) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        List<byte[]> out = new ArrayList<>();
        int pos = 0;
        while (true) {
            int b = text.indexOf(begin, pos);
            if (b < 0) {
                if (!text.substring(pos).isBlank()) return List.of(bytes);
                break;
            }
            if (!text.substring(pos, b).isBlank()) return List.of(bytes);
            int e = text.indexOf(end, b + begin.length());
            if (e < 0) return List.of(bytes);
            int stop = e + end.length();
            if (stop < text.length() && text.charAt(stop) == '\r') stop++;
            if (stop < text.length() && text.charAt(stop) == '\n') stop++;
            out.add(text.substring(b, stop).getBytes(StandardCharsets.ISO_8859_1));
            pos = stop;
        }
        return out.isEmpty() ? List.of(bytes) : out;
    }
}
