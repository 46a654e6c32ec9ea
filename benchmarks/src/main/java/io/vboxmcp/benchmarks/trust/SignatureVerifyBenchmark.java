package io.vboxmcp.benchmarks.trust;

import io.vboxmcp.core.internal.verify.OpenPgp;
import io.vboxmcp.core.internal.verify.SshSignatures;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Full verification of one manifest signature per operation, key parsing and policy checks included: OpenPGP
 * (Ed25519 key made by gpg) and SSHSIG (Ed25519 key made by ssh-keygen). Needs gpg and ssh-keygen on the PATH.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class SignatureVerifyBenchmark {
    private Path tmp;
    private byte[] manifest;
    private byte[] pgpSignature;
    private byte[] sshSignature;
    private List<TrustedKey> pgpKeys;
    private List<TrustedKey> sshKeys;
    private final SignatureVerifier openpgp = new OpenPgp();
    private final SignatureVerifier ssh = new SshSignatures();
    private final Instant now = Instant.now();

    @Setup(Level.Trial)
    public void sign() throws IOException, InterruptedException {
        tmp = Files.createTempDirectory("vboxmcp-sig-bench");
        Path m = tmp.resolve("vboxmcp.manifest");
        StringBuilder b = new StringBuilder("vboxmcp-manifest 1\nname bench\nversion 1.0.0\n");
        for (int i = 0; i < 40; i++) b.append("0".repeat(64)).append(" 1024 files/file-").append(i).append('\n');
        Files.writeString(m, b.toString());
        manifest = Files.readAllBytes(m);

        Path home = Files.createDirectories(tmp.resolve("g"));
        run("gpg", "--homedir", home.toString(), "--batch", "--passphrase", "", "--quick-gen-key", "Bench <bench@example.org>", "ed25519", "sign", "0");
        run("gpg", "--homedir", home.toString(), "--batch", "--armor", "--output", tmp.resolve("pub.asc").toString(), "--export", "bench@example.org");
        run("gpg", "--homedir", home.toString(), "--batch", "--armor", "--output", tmp.resolve("m.asc").toString(), "--detach-sign", m.toString());
        run("gpgconf", "--homedir", home.toString(), "--kill", "all");
        pgpSignature = Files.readAllBytes(tmp.resolve("m.asc"));
        String listing = run("gpg", "--homedir", home.toString(), "--batch", "--with-colons", "--show-keys", tmp.resolve("pub.asc").toString());
        String fpr = listing.lines().filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
        pgpKeys = List.of(new TrustedKey("openpgp", fpr, Files.readAllBytes(tmp.resolve("pub.asc")), "bench"));

        Path key = tmp.resolve("id_ed25519");
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString());
        run("ssh-keygen", "-Y", "sign", "-n", "vboxmcp-template", "-f", key.toString(), m.toString());
        sshSignature = Files.readAllBytes(tmp.resolve("vboxmcp.manifest.sig"));
        byte[] pub = Files.readAllBytes(Path.of(key + ".pub"));
        byte[] blob = Base64.getDecoder().decode(new String(pub, StandardCharsets.US_ASCII).split(" ")[1]);
        String sshFp = "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(sha256(blob));
        sshKeys = List.of(new TrustedKey("ssh", sshFp, pub, "bench"));

        if (!openpgp.verify(manifest, pgpSignature, pgpKeys, now).valid()) throw new IllegalStateException("OpenPGP fixture does not verify");
        if (!ssh.verify(manifest, sshSignature, sshKeys, now).valid()) throw new IllegalStateException("SSH fixture does not verify");
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @Benchmark
    public boolean openpgpVerify() {
        return openpgp.verify(manifest, pgpSignature, pgpKeys, now).valid();
    }

    @Benchmark
    public boolean sshVerify() {
        return ssh.verify(manifest, sshSignature, sshKeys, now).valid();
    }

    private static byte[] sha256(byte[] b) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("bench", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + Files.readString(out));
            }
            return Files.readString(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
