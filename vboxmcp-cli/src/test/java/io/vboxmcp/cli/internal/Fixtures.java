package io.vboxmcp.cli.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Test material made by the tests themselves: keys from the real ssh-keygen, template copies, tree snapshots. */
final class Fixtures {
    static final Path EXAMPLE_TEMPLATE = Launcher.ROOT.resolve("examples/templates/web-demo");

    private Fixtures() {
    }

    /** A fresh Ed25519 key pair from ssh-keygen; returns the private key (the public one is beside it, .pub). */
    static Path sshKey(Path dir, String name, String passphrase) throws Exception {
        Files.createDirectories(dir);
        Path key = dir.resolve(name);
        run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name + "@vboxmcp.test", "-f",
                key.toString());
        return key;
    }

    /** Copies the example template into {@code dir/name} and returns the copy. */
    static Path templateCopy(Path dir, String name) throws IOException {
        Path target = dir.resolve(name);
        copyTree(EXAMPLE_TEMPLATE, target);
        return target;
    }

    /** Writes a template with the given version into {@code dir/name-version}. */
    static Path template(Path dir, String name, String version, String description) throws IOException {
        Path t = dir.resolve(name + "-" + version);
        Files.createDirectories(t);
        Files.writeString(t.resolve("template-definition.yaml"), """
                name: "%s"
                version: "%s"
                description: "%s"
                base_image: "vboxmcp-test:1"
                min_ram: 128
                min_cores: 1
                ports: [8000]
                scripts:
                  - name: hello
                    command: echo hello > /tmp/hello
                metadata:
                  tags: ["cli-test"]
                """.formatted(name, version, description), StandardCharsets.UTF_8);
        return t;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> st = Files.walk(from)) {
            for (Path p : st.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else {
                    Files.copy(p, q);
                }
            }
        }
    }

    /** @return every file and folder under {@code dir} with the SHA-256 of files, for "nothing changed" checks */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        if (!Files.exists(dir)) {
            return m;
        }
        try (Stream<Path> st = Files.walk(dir)) {
            for (Path p : st.toList()) {
                String rel = dir.relativize(p).toString();
                m.put(rel, Files.isRegularFile(p) ? sha256(Files.readAllBytes(p)) : "dir");
            }
        }
        return m;
    }

    /** The home's files except the audit log and its checkpoint, which refusals append to (deny records). */
    static Map<String, String> snapshotWithoutAudit(Path dir) throws IOException {
        Map<String, String> m = snapshot(dir);
        m.keySet().removeIf(k -> k.equals("audit") || k.startsWith("audit/") || k.startsWith("audit.log"));
        return m;
    }

    /** @return the audit log's records whose outcome is "deny" */
    static java.util.List<String> denyRecords(Path home) throws IOException {
        Path log = home.resolve("audit.log");
        if (!Files.exists(log)) {
            return java.util.List.of();
        }
        return Files.readAllLines(log).stream().filter(l -> l.contains("\"outcome\":\"deny\"")).toList();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String run(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError(List.of(cmd) + " failed:\n" + out);
        }
        return out;
    }

    static List<String> lines(String s) {
        List<String> l = new ArrayList<>();
        for (String x : s.split("\n")) {
            if (!x.isBlank()) {
                l.add(x);
            }
        }
        return l;
    }
}
