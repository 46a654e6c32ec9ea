package io.vboxmcp.core.internal.verify;

import org.apache.sshd.common.config.keys.loader.openssh.kdf.BCrypt;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.util.OpenSSHPrivateKeyUtil;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;

/** Reads OpenSSH private key files ({@code openssh-key-v1}), plain or protected with bcrypt + AES. */
public final class SshPrivateKeys {
    private static final String BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
    private static final String END = "-----END OPENSSH PRIVATE KEY-----";
    private static final byte[] AUTH_MAGIC = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);

    private SshPrivateKeys() {
    }

    record KeyPair(SshPublicKeys.SshPublicKey publicKey, AsymmetricKeyParameter privateKey) {
    }

    /**
     * @throws IllegalArgumentException with a sentence for the user if the file is not a usable key or the
     *                                  passphrase is wrong
     */
    public static KeyPair read(byte[] file, char[] passphrase) {
        String text = new String(file, StandardCharsets.US_ASCII).replace("\r\n", "\n").strip();
        if (!text.startsWith(BEGIN) || !text.endsWith(END)) {
            throw new IllegalArgumentException("not an OpenSSH private key file (expected " + BEGIN + ")");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(text.substring(BEGIN.length(), text.length() - END.length()).replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("OpenSSH private key is not valid base64");
        }
        SshWire.Reader r = new SshWire.Reader(blob);
        if (!Arrays.equals(r.raw(AUTH_MAGIC.length), AUTH_MAGIC)) throw new IllegalArgumentException("not an openssh-key-v1 key");
        String cipher = r.utf8();
        String kdf = r.utf8();
        byte[] kdfOptions = r.string();
        long n = r.uint32();
        if (n != 1) throw new IllegalArgumentException("key file holds " + n + " keys, expected 1");
        byte[] pub = r.string();
        byte[] section = r.string();
        if (!cipher.equals("none")) {
            section = decrypt(cipher, kdf, kdfOptions, section, passphrase);
        }
        SshWire.Reader s = new SshWire.Reader(section);
        if (s.uint32() != s.uint32()) {
            throw new IllegalArgumentException(cipher.equals("none") ? "corrupt private key" : "wrong passphrase for the SSH key");
        }
        if (!cipher.equals("none")) {
            section = repad(section);
        }
        byte[] plain = new SshWire.Writer().raw(AUTH_MAGIC).string("none").string("none").string(new byte[0]).uint32(1)
                .string(pub).string(section).bytes();
        AsymmetricKeyParameter priv;
        try {
            priv = OpenSSHPrivateKeyUtil.parsePrivateKeyBlob(plain);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unsupported or corrupt SSH private key: " + e.getMessage());
        }
        return new KeyPair(SshPublicKeys.parseBlob(pub, ""), priv);
    }

    /** Encrypted keys are padded to the cipher block (16); BouncyCastle's parser expects the unencrypted 8. */
    private static byte[] repad(byte[] section) {
        int len = section.length;
        int last = len == 0 ? 0 : section[len - 1] & 0xff;
        if (last >= 1 && last < 16 && last <= len) {
            boolean pad = true;
            for (int i = 0; i < last; i++) {
                if ((section[len - last + i] & 0xff) != i + 1) {
                    pad = false;
                    break;
                }
            }
            if (pad) len -= last;
        }
        int n = (8 - len % 8) % 8;
        byte[] out = Arrays.copyOf(section, len + n);
        for (int i = 0; i < n; i++) out[len + i] = (byte) (i + 1);
        return out;
    }

    private static byte[] decrypt(String cipher, String kdf, byte[] kdfOptions, byte[] section, char[] passphrase) {
        if (!kdf.equals("bcrypt")) throw new IllegalArgumentException("unsupported SSH key KDF '" + kdf + "'");
        int keyLen;
        String mode;
        switch (cipher) {
            case "aes128-ctr" -> { keyLen = 16; mode = "AES/CTR/NoPadding"; }
            case "aes192-ctr" -> { keyLen = 24; mode = "AES/CTR/NoPadding"; }
            case "aes256-ctr" -> { keyLen = 32; mode = "AES/CTR/NoPadding"; }
            case "aes128-cbc" -> { keyLen = 16; mode = "AES/CBC/NoPadding"; }
            case "aes256-cbc" -> { keyLen = 32; mode = "AES/CBC/NoPadding"; }
            default -> throw new IllegalArgumentException("unsupported SSH key cipher '" + cipher + "'");
        }
        if (passphrase.length == 0) throw new IllegalArgumentException("the SSH key is protected by a passphrase");
        SshWire.Reader o = new SshWire.Reader(kdfOptions);
        byte[] salt = o.string();
        long rounds = o.uint32();
        if (rounds < 1 || rounds > 10_000) throw new IllegalArgumentException("implausible bcrypt rounds " + rounds);
        byte[] keyIv = new byte[keyLen + 16];
        byte[] pass = new String(passphrase).getBytes(StandardCharsets.UTF_8);
        try {
            new BCrypt().pbkdf(pass, salt, (int) rounds, keyIv);
            Cipher c = Cipher.getInstance(mode);
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(keyIv, 0, keyLen, "AES"), new IvParameterSpec(keyIv, keyLen, 16));
            return c.doFinal(section);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot decrypt the SSH key: " + e.getMessage());
        } finally {
            Arrays.fill(pass, (byte) 0);
            Arrays.fill(keyIv, (byte) 0);
        }
    }
}
