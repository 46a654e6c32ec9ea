package io.vboxmcp.qemu.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * SHA-256 of a stream, computed by {@code openssl dgst -sha256} when the host has it, else by the JDK. Why a
 * process: the command line runs its JVM with C1 only ({@code -XX:TieredStopAtLevel=1}, for a quick start), and C1
 * does not use the CPU's SHA instructions: the JDK hashed a 420 MiB snapshot state in 9.8 s there, full tiering in
 * 1.2 s, {@code openssl} in 0.24 s of CPU. A snapshot restore hashes its state twice and its disk once, so this is
 * most of a clone's restore.
 */
abstract class Sha256 implements AutoCloseable {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
    private static volatile Boolean openssl;

    abstract void update(byte[] b, int len) throws IOException;

    /** @return {@code sha256:<hex>} of everything updated; call once */
    abstract String digest() throws IOException;

    @Override
    public void close() {
    }

    static Sha256 start() throws IOException {
        if (openssl == null) {
            openssl = Files2.which("openssl").isPresent();
        }
        return openssl ? new Openssl() : new Jdk();
    }

    private static final class Jdk extends Sha256 {
        private final MessageDigest md;

        Jdk() {
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        void update(byte[] b, int len) {
            md.update(b, 0, len);
        }

        @Override
        String digest() {
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        }
    }

    private static final class Openssl extends Sha256 {
        private final Process p;
        private final OutputStream in;

        Openssl() throws IOException {
            p = new ProcessBuilder(List.of("openssl", "dgst", "-sha256", "-r"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            in = p.getOutputStream();
        }

        @Override
        void update(byte[] b, int len) throws IOException {
            in.write(b, 0, len);
        }

        @Override
        String digest() throws IOException {
            in.close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IOException("openssl dgst failed: " + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while hashing");
            }
            String hex = out.split("\\s+")[0];
            if (!HEX.matcher(hex).matches()) {
                throw new IOException("openssl dgst printed no digest: " + out);
            }
            return "sha256:" + hex;
        }

        @Override
        public void close() {
            p.destroyForcibly();
        }
    }
}
