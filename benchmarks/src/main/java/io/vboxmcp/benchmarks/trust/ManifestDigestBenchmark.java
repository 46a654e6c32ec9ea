package io.vboxmcp.benchmarks.trust;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.archive.Manifest;
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
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Manifest digest of a 100 MiB template (one 96 MiB disk image plus small files, all in the page cache) against
 * {@code sha256sum} over the same files. Target: our time within 1/0.8 of sha256sum's ({@link TrustBenchmarks}
 * prints the ratio).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(1)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 3)
public class ManifestDigestBenchmark {
    static final SemanticVersion VERSION = SemanticVersion.of(1, 0, 0);
    private Path dir;
    private List<String> sha256sumCommand;

    @Setup(Level.Trial)
    public void createTemplate() throws IOException {
        dir = Files.createTempDirectory("vboxmcp-manifest-bench");
        SplittableRandom random = new SplittableRandom(42);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(dir.resolve("disk.qcow2"))) {
            for (int i = 0; i < 96; i++) {
                random.nextBytes(block);
                out.write(block);
            }
        }
        Files.createDirectories(dir.resolve("scripts"));
        for (int i = 0; i < 32; i++) {
            byte[] small = new byte[128 * 1024];
            random.nextBytes(small);
            Files.write(dir.resolve("scripts/file-" + i + ".bin"), small);
        }
        Files.writeString(dir.resolve("template-definition.yaml"), "name: bench\nversion: 1.0.0\n");
        sha256sumCommand = new ArrayList<>(List.of("sha256sum"));
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().forEach(sha256sumCommand::add);
        }
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Benchmark
    public String manifestDigest() throws VboxmcpException {
        return Manifest.compute("bench", VERSION, dir).digest();
    }

    @Benchmark
    public int sha256sum() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(sha256sumCommand).directory(dir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int rc = p.waitFor();
        if (rc != 0) throw new IllegalStateException("sha256sum failed: " + rc);
        return rc;
    }
}
