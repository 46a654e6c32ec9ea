package io.vboxmcp.core.internal.verify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code gpg} and {@code ssh-keygen} for interop tests; every call has a timeout. */
public final class Tools {
    private Tools() {
    }

    public record Result(int exit, String out, String err) {
        public Result ok() {
            if (exit != 0) throw new AssertionError("command failed (" + exit + "): " + err + out);
            return this;
        }
    }

    public static Result run(Path dir, List<String> cmd, String... env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        for (int i = 0; i + 1 < env.length; i += 2) pb.environment().put(env[i], env[i + 1]);
        Path out = Files.createTempFile("tool", ".out");
        Path err = Files.createTempFile("tool", ".err");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        Result r = new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return r;
    }

    /** A throw-away GnuPG home with batch defaults. */
    public static final class Gpg implements AutoCloseable {
        final Path home;
        public static final String PASS = "correct horse";

        public Gpg(Path home) throws IOException {
            this.home = home;
            Files.createDirectories(home);
            home.toFile().setReadable(false, false);
            home.toFile().setReadable(true, true);
            home.toFile().setExecutable(false, false);
            home.toFile().setExecutable(true, true);
            home.toFile().setWritable(false, false);
            home.toFile().setWritable(true, true);
        }

        public Result gpg(String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--no-tty",
                    "--pinentry-mode", "loopback", "--passphrase", PASS));
            cmd.addAll(List.of(args));
            return run(home, cmd);
        }

        /** @return the new primary key's fingerprint */
        public String generate(String uid, String algo, String usage, String expire) throws IOException, InterruptedException {
            gpg("--quick-gen-key", uid, algo, usage, expire).ok();
            return fingerprintOf(uid);
        }

        String fingerprintOf(String uid) throws IOException, InterruptedException {
            String out = gpg("--with-colons", "--list-keys", uid).ok().out();
            for (String line : out.split("\n")) {
                if (line.startsWith("fpr:")) return line.split(":")[9];
            }
            throw new AssertionError("no fingerprint for " + uid);
        }

        public Path exportPublic(String fpr, Path out) throws IOException, InterruptedException {
            gpg("--yes", "--armor", "--output", out.toString(), "--export", fpr).ok();
            return out;
        }

        public Path exportSecret(String fpr, Path out) throws IOException, InterruptedException {
            gpg("--yes", "--armor", "--output", out.toString(), "--export-secret-keys", fpr).ok();
            return out;
        }

        public Path detachSign(String keySpec, Path file, Path sig, String... extra) throws IOException, InterruptedException {
            List<String> a = new ArrayList<>(List.of("--yes", "--armor", "--local-user", keySpec, "--output", sig.toString()));
            a.addAll(List.of(extra));
            a.add("--detach-sign");
            a.add(file.toString());
            gpg(a.toArray(String[]::new)).ok();
            return sig;
        }

        @Override
        public void close() throws IOException, InterruptedException {
            run(home, List.of("gpgconf", "--homedir", home.toString(), "--kill", "all"));
        }
    }

    /** Generates an unencrypted or passphrase-protected key with ssh-keygen; returns the private key path. */
    public static Path sshKeygen(Path dir, String type, int bits, String passphrase) throws IOException, InterruptedException {
        Path key = dir.resolve("id_" + type + (bits > 0 ? bits : "") + (passphrase.isEmpty() ? "" : "_enc"));
        List<String> cmd = new ArrayList<>(List.of("ssh-keygen", "-q", "-t", type, "-N", passphrase, "-C", "author@example.org", "-f", key.toString()));
        if (bits > 0) {
            cmd.add("-b");
            cmd.add(Integer.toString(bits));
        }
        run(dir, cmd).ok();
        return key;
    }

    public static Result sshSign(Path dir, Path key, Path file, String namespace) throws IOException, InterruptedException {
        return run(dir, List.of("ssh-keygen", "-Y", "sign", "-n", namespace, "-f", key.toString(), file.toString()));
    }

    public static Result sshVerify(Path dir, Path publicKey, Path file, Path sig) throws IOException, InterruptedException {
        Path allowed = dir.resolve("allowed_signers");
        Files.writeString(allowed, "author@example.org " + Files.readString(publicKey).strip() + "\n");
        return run(dir, List.of("sh", "-c", "ssh-keygen -Y verify -f '" + allowed + "' -I author@example.org -n vboxmcp-template -s '"
                + sig + "' < '" + file + "'"));
    }
}
