package io.vboxmcp.core.internal.audit;

import io.vboxmcp.core.internal.util.Digests;
import io.vboxmcp.AuditLog;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.AtomicFiles;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Signed checkpoints of the audit log (AUD-04/05), in the C2SP tlog-checkpoint format as a signed note:
 * <pre>
 * vboxmcp.local/audit-log/&lt;16 hex of the key's hash&gt;   (origin)
 * &lt;number of records&gt;
 * &lt;base64 of the last record's chain hash&gt;
 *
 * — vboxmcp-audit &lt;base64(4-byte key hash || 64-byte Ed25519 signature)&gt;
 * </pre>
 * The root hash is the hash-chain head, not an RFC 6962 Merkle root: every record already commits to all records
 * before it, and {@code audit verify} re-reads the whole local log, so the head detects truncation and rewriting as
 * well as a Merkle root would; a Merkle tree would only add logarithmic inclusion and consistency proofs for
 * verifiers without the log, which nobody asks for here.
 * <p>
 * The signature is Ed25519 over the note's text, which starts with a fixed origin prefix, so a checkpoint signature
 * can never be mistaken for a signature over a template manifest or anything else (domain separation). The key is
 * this home's own ({@code <home>/audit/checkpoint.key}, 0600, created on first use), never a template key.
 */
final class AuditCheckpoints {
    static final String ORIGIN_PREFIX = "vboxmcp.local/audit-log/";
    static final String KEY_NAME = "vboxmcp-audit";
    private static final String KEY_HEADER = "vboxmcp-audit-checkpoint-key-v1 ";
    private static final int MAX_FILE = 4096;

    private final Path keyFile;
    private final Path checkpointFile;

    AuditCheckpoints(Path keyFile, Path checkpointFile) {
        this.keyFile = keyFile;
        this.checkpointFile = checkpointFile;
    }

    Path keyFile() {
        return keyFile;
    }

    Path checkpointFile() {
        return checkpointFile;
    }

    /** Signs and atomically writes a checkpoint; creates the key on first use unless an older checkpoint exists. */
    void write(long size, String chainHead) throws VboxmcpException {
        try {
            Ed25519PrivateKeyParameters key = loadOrCreateKey();
            String body = body(origin(key.generatePublicKey()), size, chainHead);
            Ed25519Signer signer = new Ed25519Signer();
            signer.init(true, key);
            byte[] msg = body.getBytes(StandardCharsets.UTF_8);
            signer.update(msg, 0, msg.length);
            byte[] sig = signer.generateSignature();
            byte[] keyHashAndSig = new byte[4 + sig.length];
            System.arraycopy(keyHash(key.generatePublicKey()), 0, keyHashAndSig, 0, 4);
            System.arraycopy(sig, 0, keyHashAndSig, 4, sig.length);
            String note = body + "\n\u2014 " + KEY_NAME + " " + Base64.getEncoder().encodeToString(keyHashAndSig) + "\n";
            AtomicFiles.write(checkpointFile, note.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.AUDIT, "could not write the audit checkpoint " + checkpointFile + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Reads and checks the latest checkpoint.
     *
     * @return the checkpoint, or null if there is none
     * @throws VboxmcpException {@link ErrorCode#AUDIT} if a checkpoint exists but cannot be checked (key missing) or
     *                          its signature does not verify with this home's key
     */
    AuditLog.Checkpoint read() throws VboxmcpException {
        if (!Files.exists(checkpointFile, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        if (!Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new VboxmcpException(ErrorCode.AUDIT, "cannot check the audit log: its checkpoint key " + keyFile
                    + " is missing, so the signed checkpoint " + checkpointFile + " cannot be verified");
        }
        try {
            Ed25519PublicKeyParameters pub = readKey().generatePublicKey();
            String note = new String(readRegular(checkpointFile), StandardCharsets.UTF_8);
            int split = note.indexOf("\n\n");
            if (split < 0) {
                throw bad("it is not a signed note (no blank line before the signature)");
            }
            String body = note.substring(0, split + 1);
            List<String> lines = body.lines().toList();
            if (lines.size() != 3 || !lines.get(0).startsWith(ORIGIN_PREFIX)) {
                throw bad("its text is not an audit-log checkpoint (origin line '" + ORIGIN_PREFIX + "...' expected)");
            }
            if (!lines.get(0).equals(origin(pub))) {
                throw bad("it names another log (origin " + lines.get(0) + ", this home's is " + origin(pub) + ")");
            }
            String sigLine = note.substring(split + 2).strip();
            String prefix = "\u2014 " + KEY_NAME + " ";
            if (!sigLine.startsWith(prefix) || sigLine.contains("\n")) {
                throw bad("it does not carry exactly one '" + KEY_NAME + "' signature line");
            }
            byte[] raw = Base64.getDecoder().decode(sigLine.substring(prefix.length()));
            if (raw.length != 68 || !Arrays.equals(Arrays.copyOf(raw, 4), keyHash(pub))) {
                throw bad("it is signed by another key, not this home's audit key " + keyFile);
            }
            Ed25519Signer v = new Ed25519Signer();
            v.init(false, pub);
            byte[] msg = body.getBytes(StandardCharsets.UTF_8);
            v.update(msg, 0, msg.length);
            if (!v.verifySignature(Arrays.copyOfRange(raw, 4, raw.length))) {
                throw bad("its signature does not verify with this home's audit key " + keyFile);
            }
            long size = Long.parseLong(lines.get(1));
            String head = HexFormat.of().formatHex(Base64.getDecoder().decode(lines.get(2)));
            if (size < 0 || head.length() != 64) {
                throw bad("its size or root hash is malformed");
            }
            return new AuditLog.Checkpoint(lines.get(0), size, head);
        } catch (IllegalArgumentException e) {  // bad base64 or number
            throw bad("it is malformed (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.AUDIT, "could not read the audit checkpoint " + checkpointFile + ": "
                    + e.getMessage(), e);
        }
    }

    private VboxmcpException bad(String why) {
        return new VboxmcpException(ErrorCode.AUDIT, "the audit checkpoint " + checkpointFile + " is refused: " + why);
    }

    static String body(String origin, long size, String chainHeadHex) {
        return origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(HexFormat.of().parseHex(chainHeadHex)) + "\n";
    }

    static String origin(Ed25519PublicKeyParameters pub) {
        return ORIGIN_PREFIX + HexFormat.of().formatHex(sha256(pub.getEncoded()), 0, 8);
    }

    /** The signed-note key hash: the first 4 bytes of SHA-256(name || "\n" || 0x01 (Ed25519) || public key). */
    static byte[] keyHash(Ed25519PublicKeyParameters pub) {
        byte[] name = (KEY_NAME + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] in = new byte[name.length + 1 + 32];
        System.arraycopy(name, 0, in, 0, name.length);
        in[name.length] = 0x01;
        System.arraycopy(pub.getEncoded(), 0, in, name.length + 1, 32);
        return Arrays.copyOf(sha256(in), 4);
    }

    private Ed25519PrivateKeyParameters loadOrCreateKey() throws IOException, VboxmcpException {
        if (Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS)) {
            return readKey();
        }
        if (Files.exists(checkpointFile, LinkOption.NOFOLLOW_LINKS)) {
            // a new key would silently re-bless whatever the log holds now
            throw new VboxmcpException(ErrorCode.AUDIT, "the audit checkpoint key " + keyFile + " is missing while "
                    + checkpointFile + " exists; restore the key, or move the checkpoint aside to start a new key");
        }
        Ed25519PrivateKeyParameters key = new Ed25519PrivateKeyParameters(new SecureRandom());
        boolean posix = keyFile.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (posix) {
            Files.createDirectories(keyFile.getParent(),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectories(keyFile.getParent());
        }
        byte[] text = (KEY_HEADER + Base64.getEncoder().encodeToString(key.getEncoded()) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        Path tmp = keyFile.resolveSibling("." + keyFile.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        // created 0600 from the start: no window in which another user could read it
        if (posix) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(tmp);
        }
        Files.write(tmp, text);
        try {
            // a link, not a rename: of two processes racing to create the key, exactly one wins
            Files.createLink(keyFile, tmp);
        } catch (FileAlreadyExistsException raced) {
            Files.deleteIfExists(tmp);
            return readKey();
        }
        Files.deleteIfExists(tmp);
        return key;
    }

    private Ed25519PrivateKeyParameters readKey() throws IOException, VboxmcpException {
        String text = new String(readRegular(keyFile), StandardCharsets.US_ASCII).strip();
        if (!text.startsWith(KEY_HEADER)) {
            throw new VboxmcpException(ErrorCode.AUDIT, "the audit checkpoint key " + keyFile + " is not a vboxmcp "
                    + "audit key");
        }
        try {
            byte[] seed = Base64.getDecoder().decode(text.substring(KEY_HEADER.length()));
            if (seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
                throw new IllegalArgumentException("wrong length");
            }
            return new Ed25519PrivateKeyParameters(seed, 0);
        } catch (IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.AUDIT, "the audit checkpoint key " + keyFile + " is malformed");
        }
    }

    /** Reads a small regular file; a FIFO, device or link is refused, never opened (it could block forever). */
    private static byte[] readRegular(Path f) throws IOException, VboxmcpException {
        if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            throw new VboxmcpException(ErrorCode.AUDIT, f + " is not a regular file");
        }
        if (Files.size(f) > MAX_FILE) {
            throw new VboxmcpException(ErrorCode.AUDIT, f + " is larger than " + MAX_FILE + " bytes");
        }
        return Files.readAllBytes(f);
    }

    private static byte[] sha256(byte[] in) {
        return Digests.sha256().digest(in);
    }
}
