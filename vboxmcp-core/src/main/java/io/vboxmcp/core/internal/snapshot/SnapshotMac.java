package io.vboxmcp.core.internal.snapshot;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.RegularFiles;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The MAC of a ready snapshot's record ({@code snapshot.json}): HMAC-SHA256 under a key of this home
 * ({@code <home>/snapshot-mac.key}, 32 random bytes, 0600, made by the first save). The record holds the digests of
 * the state and disk, so a writer of the cache who cannot read the key can neither make a record for files of its
 * own nor rewrite a record's digests (ART-05); the key lives outside {@code cache/}, so wiping the cache keeps it.
 */
final class SnapshotMac {
    static final String FILE = "snapshot-mac.key";
    private static final String PREFIX = "hmac-sha256:";

    private final Path keyFile;

    SnapshotMac(Path home) {
        this.keyFile = home.resolve(FILE);
    }

    /** @return the MAC line of {@code record}, making the key if this home has none yet */
    String sign(byte[] record) throws VboxmcpException {
        return PREFIX + HexFormat.of().formatHex(mac(loadOrCreate(), record));
    }

    /**
     * @throws VboxmcpException {@code DIGEST_MISMATCH} if {@code macLine} is not {@code record}'s MAC under this home's
     *                          key, or there is no key
     */
    void verify(byte[] record, String macLine) throws VboxmcpException {
        byte[] key;
        try {
            key = Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS) ? read() : null;
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "the snapshot key " + keyFile + " is unreadable: "
                    + e.getMessage(), e);
        }
        if (key == null) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "this home has no snapshot key (" + keyFile
                    + "), so no snapshot record can be trusted");
        }
        String line = macLine == null ? "" : macLine.strip();
        byte[] want = mac(key, record);
        byte[] got;
        try {
            got = line.startsWith(PREFIX) ? HexFormat.of().parseHex(line.substring(PREFIX.length())) : new byte[0];
        } catch (IllegalArgumentException e) {
            got = new byte[0];
        }
        if (!MessageDigest.isEqual(want, got)) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "the snapshot record's MAC does not match: it was not "
                    + "written by this home");
        }
    }

    private static byte[] mac(byte[] key, byte[] data) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            return m.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private byte[] loadOrCreate() throws VboxmcpException {
        try {
            if (Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS)) {
                return read();
            }
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Files.createDirectories(keyFile.getParent());
            Path tmp = keyFile.resolveSibling("." + FILE + "." + ProcessHandle.current().pid() + ".tmp");
            Files.deleteIfExists(tmp);
            // created 0600 from the start: no window in which another user could read it
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, HexFormat.of().formatHex(key) + "\n", StandardCharsets.US_ASCII);
            try {
                // a link, not a rename: of two processes racing to create the key, exactly one wins
                Files.createLink(keyFile, tmp);
            } catch (FileAlreadyExistsException raced) {
                return read();
            } finally {
                Files.deleteIfExists(tmp);
            }
            return key;
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not make the snapshot key " + keyFile + ": " + e.getMessage(), e);
        }
    }

    private byte[] read() throws IOException {
        try {
            byte[] key = HexFormat.of().parseHex(new String(RegularFiles.read(keyFile, 1024), StandardCharsets.US_ASCII)
                    .strip());
            if (key.length != 32) {
                throw new IOException("not 32 bytes");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new IOException("not a hex key", e);
        }
    }
}
