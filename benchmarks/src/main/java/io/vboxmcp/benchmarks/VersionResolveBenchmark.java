package io.vboxmcp.benchmarks;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.VersionRange;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * {@link VersionRange#highest} among 10,000 published versions (10 majors x 100 minors x 10 patches, one in ten of
 * them with a pre-release, in shuffled order), as a resolver does for every template reference.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class VersionResolveBenchmark {
    @Param({"^5.50", ">=3 <8 || 9.x", "~7.3.4", "*"})
    public String range;

    private VersionRange parsed;
    private List<SemanticVersion> versions;

    @Setup
    public void setUp() throws VersionFormatException {
        versions = new ArrayList<>(10_000);
        for (int major = 0; major < 10; major++) {
            for (int minor = 0; minor < 100; minor++) {
                for (int patch = 0; patch < 10; patch++) {
                    versions.add(SemanticVersion.parse(major + "." + minor + "." + patch
                            + (patch == 9 ? "-rc." + minor : "")));
                }
            }
        }
        Collections.shuffle(versions, new Random(1));
        parsed = VersionRange.parse(range);
        if (parsed.highest(versions).isEmpty()) {
            throw new IllegalStateException("range " + range + " matches none of the generated versions");
        }
    }

    /** Range already parsed: the resolver's inner loop. */
    @Benchmark
    public Optional<SemanticVersion> highestAmong10000() {
        return parsed.highest(versions);
    }

    /** Parse the range text, then pick: what one TemplateRef resolution costs end to end. */
    @Benchmark
    public Optional<SemanticVersion> parseRangeAndPickHighest() throws VersionFormatException {
        return VersionRange.parse(range).highest(versions);
    }
}
