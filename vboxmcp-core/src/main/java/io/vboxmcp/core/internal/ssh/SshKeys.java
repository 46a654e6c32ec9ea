package io.vboxmcp.core.internal.ssh;

import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.util.security.SecurityUtils;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Iterator;

/** Per-VM Ed25519 key pairs in OpenSSH format. */
public final class SshKeys {
    public static final String PRIVATE_KEY_FILE = "id_ed25519";

    private SshKeys() {
    }

    /**
     * A key pair on disk.
     *
     * @param privateKey      the OpenSSH private key file (mode 0600)
     * @param publicKeyLine   the {@code authorized_keys} line
     * @param keyPair         the loaded pair
     */
    public record SshKeyPair(Path privateKey, String publicKeyLine, KeyPair keyPair) { }

    /** Generates a fresh Ed25519 pair into {@code dir/id_ed25519} and {@code dir/id_ed25519.pub}. */
    public static SshKeyPair generate(Path dir, String comment) throws VboxmcpException {
        try {
            Files.createDirectories(dir);
            KeyPair kp = newEd25519();
            byte[] priv = openSshPrivateKey(kp, comment);
            Path privFile = dir.resolve(PRIVATE_KEY_FILE);
            Files.deleteIfExists(privFile);
            Files.createFile(privFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(privFile, priv, StandardOpenOption.TRUNCATE_EXISTING);
            String pub = PublicKeyEntry.toString(kp.getPublic()) + " " + comment;
            Files.writeString(dir.resolve(PRIVATE_KEY_FILE + ".pub"), pub + "\n");
            return new SshKeyPair(privFile, pub, kp);
        } catch (IOException | GeneralSecurityException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not generate the VM's SSH key in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Makes a throw-away key pair on a daemon thread, once per process: in a fresh JVM the first one costs a good
     * part of a second of class loading (the security provider, the key classes), which then overlaps the create's
     * first steps instead of delaying its {@code keys} step.
     */
    public static void warmUp() {
        if (WARMED.compareAndSet(false, true)) {
            Thread t = new Thread(() -> {
                try {
                    newEd25519();
                } catch (GeneralSecurityException | RuntimeException ignored) {
                    // the keys step reports it
                }
            }, "vboxmcp-keys-warm-up");
            t.setDaemon(true);
            t.start();
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean WARMED = new java.util.concurrent.atomic.AtomicBoolean();

    /** @return a fresh Ed25519 key pair */
    public static KeyPair newEd25519() throws GeneralSecurityException {
        return KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
    }

    /** @return {@code kp}'s private key in OpenSSH's format, unencrypted (what sshd and ssh read) */
    public static byte[] openSshPrivateKey(KeyPair kp, String comment) throws IOException, GeneralSecurityException {
        ByteArrayOutputStream priv = new ByteArrayOutputStream();
        OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, comment, null, priv);
        return priv.toByteArray();
    }

    /** Loads a pair written by {@link #generate}. */
    public static SshKeyPair load(Path privateKey) throws VboxmcpException {
        try (InputStream in = RegularFiles.open(privateKey)) {
            Iterator<KeyPair> it = SecurityUtils.loadKeyPairIdentities(null, () -> privateKey.toString(), in, null).iterator();
            if (!it.hasNext()) {
                throw new VboxmcpException(ErrorCode.IO, "no key in " + privateKey);
            }
            KeyPair kp = it.next();
            String pub = new String(RegularFiles.read(privateKey.resolveSibling(privateKey.getFileName() + ".pub"), 64 << 10),
                    java.nio.charset.StandardCharsets.UTF_8).trim();
            return new SshKeyPair(privateKey, pub, kp);
        } catch (IOException | GeneralSecurityException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read SSH key " + privateKey + ": " + e.getMessage(), e);
        }
    }

    /** @return the {@code SHA256:...} fingerprint OpenSSH prints for {@code key} */
    public static String fingerprint(PublicKey key) {
        return KeyUtils.getFingerPrint(key);
    }
}
