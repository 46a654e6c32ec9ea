package io.vboxmcp.benchmarks;

import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.template.TemplateDefinition;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Parse + validate of the seed's example template (pre-scan, Jackson read, JSON Schema, semantic checks, mapping to
 * records), single thread. Target: at least 5,000 operations per second on one core.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TemplateLoadBenchmark {
    static final String SEED = "/templates/seed-python-dev/template-definition.yaml";

    private TemplateLoader loader;
    private byte[] seed;
    private byte[] invalid;

    @Setup
    public void setUp() throws TemplateValidationException {
        loader = TemplateLoader.standard();
        try (InputStream in = TemplateLoadBenchmark.class.getResourceAsStream(SEED)) {
            if (in == null) {
                throw new IllegalStateException(SEED + " is not on the classpath");
            }
            seed = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // fail fast if the fixture does not validate: a benchmark of the error path would be meaningless
        loader.parse("seed", seed);
        invalid = new String(seed, StandardCharsets.UTF_8)
                .replace("name: \"python-dev\"", "name: \"Python_Dev\"")
                .replace("- 8080", "- 80800")
                .replace("run_as: root", "run_as: Root")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The path every createFromTemplate takes. */
    @Benchmark
    public TemplateDefinition parseAndValidateSeed() throws TemplateValidationException {
        return loader.parse("template-definition.yaml", seed);
    }

    /** The error path: three violations, located and described. */
    @Benchmark
    public void parseAndReportThreeViolations(Blackhole bh) {
        try {
            bh.consume(loader.parse("template-definition.yaml", invalid));
            throw new IllegalStateException("the invalid document was accepted");
        } catch (TemplateValidationException e) {
            bh.consume(e.violations());
        }
    }
}
