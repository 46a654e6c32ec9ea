package io.vboxmcp.oci.internal;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test templates and keys made with the real tools: the web-demo example at any version, signed by {@code ssh-keygen}. */
final class Templates {
    private Templates() {
    }

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("examples/templates/web-demo"))) {
            p = p.getParent();
        }
        return p;
    }

    /** Writes web-demo at {@code version} (description changed by {@code variant}) into {@code dir}/name-version. */
    static Path webDemo(Path dir, String name, String version, String variant) throws IOException {
        Path t = Files.createDirectories(dir.resolve(name + "-" + version + "-" + variant));
        String yaml = Files.readString(repoRoot().resolve("examples/templates/web-demo/template-definition.yaml"));
        yaml = yaml.replace("name: \"web-demo\"", "name: \"" + name + "\"")
                .replace("version: \"1.0.0\"", "version: \"" + version + "\"")
                .replace("description: \"Example VM", "description: \"" + variant + " example VM");
        Files.writeString(t.resolve("template-definition.yaml"), yaml);
        return t;
    }

    /** An Ed25519 key pair made by {@code ssh-keygen}; returns the private key file ({@code .pub} beside it). */
    static Path sshKey(Path dir, String name) throws IOException, InterruptedException {
        Path key = dir.resolve(name);
        run(dir, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.toString());
        return key;
    }

    /** Signs {@code file} with {@code ssh-keygen -Y sign}, namespace {@code ns}; returns the {@code .sig} bytes. */
    static byte[] sshSign(Path key, Path file, String ns) throws IOException, InterruptedException {
        Path sig = file.resolveSibling(file.getFileName() + ".sig");
        Files.deleteIfExists(sig);
        run(file.getParent(), "ssh-keygen", "-q", "-Y", "sign", "-f", key.toString(), "-n", ns, file.toString());
        return Files.readAllBytes(sig);
    }

    /** Manifest, signature by {@code key} ({@code ssh-keygen}), package: what an author does before publishing. */
    static Path signedPackage(VmManager m, Path folder, String name, String version, Path key, Path out)
            throws VboxmcpException, IOException, InterruptedException {
        m.publisher().writeManifest(folder, name, SemanticVersion.parse(version));
        sshSign(key, folder.resolve("vboxmcp.manifest"), "vboxmcp-template");
        m.publisher().pack(folder, out);
        return out;
    }

    static void run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
