package io.vboxmcp.git.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code git}, {@code gpg} and {@code ssh-keygen} for tests, isolated from the user's configuration:
 * a private HOME and GNUPGHOME, no system git config. Builds template repositories and signed tags.
 */
final class GitCli {
    final Path home;
    final Path gnupgHome;

    GitCli(Path home) throws IOException {
        this.home = home;
        Files.createDirectories(home);
        // gpg-agent sockets live in GNUPGHOME; keep the path short
        this.gnupgHome = Files.createTempDirectory(Path.of("/tmp"), "gpg");
        Files.setPosixFilePermissions(gnupgHome, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    String run(Path dir, String... command) throws IOException, InterruptedException {
        return run(dir, null, command);
    }

    String run(Path dir, byte[] stdin, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("GIT_") || k.equals("SSH_AUTH_SOCK"));
        env.put("HOME", home.toString());
        env.put("GNUPGHOME", gnupgHome.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_AUTHOR_NAME", "Template Author");
        env.put("GIT_AUTHOR_EMAIL", "author@example.org");
        env.put("GIT_COMMITTER_NAME", "Template Author");
        env.put("GIT_COMMITTER_EMAIL", "author@example.org");
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin);
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", command));
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + text);
        }
        return text;
    }

    /** Creates an empty repository with {@code main} as its branch. */
    Path init(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        run(dir, "git", "init", "-q", "-b", "main");
        run(dir, "git", "config", "commit.gpgsign", "false");
        run(dir, "git", "config", "tag.gpgsign", "false");
        return dir;
    }

    /** Writes a template document (and extra files) into {@code dir/folder}. */
    static void template(Path repo, String folder, String name, String version, String description, String... tags)
            throws IOException {
        Path d = folder.isEmpty() ? repo : repo.resolve(folder);
        Files.createDirectories(d);
        StringBuilder y = new StringBuilder()
                .append("name: \"").append(name).append("\"\n")
                .append("version: \"").append(version).append("\"\n")
                .append("description: \"").append(description).append("\"\n")
                .append("base_image: \"debian:12\"\n")
                .append("metadata:\n  tags: [");
        for (int i = 0; i < tags.length; i++) {
            y.append(i == 0 ? "" : ", ").append('"').append(tags[i]).append('"');
        }
        y.append("]\n");
        Files.writeString(d.resolve("template-definition.yaml"), y.toString());
    }

    String commitAll(Path repo, String message) throws IOException, InterruptedException {
        run(repo, "git", "add", "-A");
        run(repo, "git", "commit", "-q", "--allow-empty", "-m", message);
        return run(repo, "git", "rev-parse", "HEAD").trim();
    }

    void lightweightTag(Path repo, String tag) throws IOException, InterruptedException {
        run(repo, "git", "tag", tag);
    }

    void annotatedTag(Path repo, String tag) throws IOException, InterruptedException {
        run(repo, "git", "tag", "-a", "-m", "release " + tag, tag);
    }

    void gpgTag(Path repo, String tag, String fingerprint) throws IOException, InterruptedException {
        run(repo, "git", "-c", "gpg.format=openpgp", "-c", "user.signingkey=" + fingerprint, "tag", "-s", "-m",
                "release " + tag, tag);
    }

    void sshTag(Path repo, String tag, Path privateKey) throws IOException, InterruptedException {
        run(repo, "git", "-c", "gpg.format=ssh", "-c", "user.signingkey=" + privateKey, "tag", "-s", "-m",
                "release " + tag, tag);
    }

    /** Generates an OpenPGP Ed25519 signing key in the private GNUPGHOME; @return its fingerprint. */
    String gpgKey(String uid) throws IOException, InterruptedException {
        run(home, "gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never");
        String colons = run(home, "gpg", "--batch", "--with-colons", "--fingerprint", uid);
        for (String line : colons.split("\n")) {
            if (line.startsWith("fpr:")) {
                return line.split(":")[9];
            }
        }
        throw new IOException("no fingerprint for " + uid + ": " + colons);
    }

    byte[] gpgPublicKey(String fingerprint) throws IOException, InterruptedException {
        return run(home, "gpg", "--batch", "--armor", "--export", fingerprint).getBytes(StandardCharsets.US_ASCII);
    }

    /** Generates an Ed25519 SSH key pair; @return the private key path (public key beside it, {@code .pub}). */
    Path sshKey(String name) throws IOException, InterruptedException {
        Path key = home.resolve(name);
        run(home, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.toString());
        return key;
    }

    String sshFingerprint(Path privateKey) throws IOException, InterruptedException {
        String out = run(home, "ssh-keygen", "-l", "-E", "sha256", "-f", privateKey + ".pub");
        return out.split("\\s+")[1];
    }

    void close() throws IOException, InterruptedException {
        try {
            run(home, "gpgconf", "--kill", "gpg-agent");
        } catch (IOException ignored) {
            // no agent was started
        }
        delete(gnupgHome);
    }

    static void delete(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (var s = Files.walk(root)) {
            List<Path> all = new ArrayList<>(s.toList());
            java.util.Collections.reverse(all);
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        }
    }
}
