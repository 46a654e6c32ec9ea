package io.vboxmcp.oci.internal;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.search.TemplateQuery;
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

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The marketplace's data path: parse a signed index of 10,000 template versions (1,000 templates x 10 versions,
 * about 3 MiB) and answer a query over it. Lives in the index's package because the parser is internal.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@Threads(1)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class IndexBenchmark {
    @Param({"web", "tag:t7 author:a3", "name-42@^1.2", "version:>=2 tag:t1 demo"})
    public String query;

    private byte[] bytes;
    private TemplateQuery.Catalog catalog;
    private TemplateQuery parsed;

    @Setup
    public void setUp() throws VboxmcpException {
        bytes = document(10_000).getBytes(StandardCharsets.UTF_8);
        catalog = TemplateQuery.Catalog.of(IndexDocument.parse(bytes).infos("market"));
        parsed = TemplateQuery.parse(query);
        if (parsed.apply(catalog).isEmpty()) {
            throw new IllegalStateException("query " + query + " matches nothing");
        }
    }

    /** An index as {@code vboxmcp index build} writes it. */
    static String document(int n) {
        StringBuilder b = new StringBuilder("{\"_type\":\"vboxmcp-index\",\"version\":7,\"expires\":\"")
                .append(Instant.now().plusSeconds(86_400)).append("\",\"templates\":[");
        for (int i = 0; i < n; i++) {
            int name = i / 10;
            int v = i % 10;
            b.append(i == 0 ? "" : ",").append("{\"name\":\"name-").append(name).append("\",\"version\":\"")
                    .append(v / 4).append('.').append(v % 4).append(".0\",\"digest\":\"sha256:")
                    .append(String.format("%064x", i)).append("\",\"description\":\"")
                    .append(name % 5 == 0 ? "A web server" : "A development VM").append(" for team ").append(name % 97)
                    .append(" with tools and a demo app\",\"tags\":[\"t").append(name % 10).append("\",\"t")
                    .append(name % 13).append("\",\"linux\"],\"author\":\"a").append(name % 20)
                    .append(" Example\",\"published\":\"2026-11-30T12:00:00Z\"}");
        }
        return b.append("]}").toString();
    }

    /** Parse, check and turn into a searchable catalog: what a source does once per index version. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public Object parseIndex() throws VboxmcpException {
        return TemplateQuery.Catalog.of(IndexDocument.parse(bytes).infos("market"));
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Object search() throws VboxmcpException {
        return TemplateQuery.parse(query).apply(catalog);
    }

    /**
     * Per CPU-second of this thread (ThreadMXBean), which a loaded machine does not inflate the way it inflates
     * JMH's wall clock: {@code java -cp benchmarks/target/benchmarks.jar io.vboxmcp.oci.internal.IndexBenchmark}.
     */
    public static void main(String[] args) throws Exception {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (String q : new String[]{"web", "tag:t7 author:a3", "name-42@^1.2", "version:>=2 tag:t1 demo"}) {
            IndexBenchmark b = new IndexBenchmark();
            b.query = q;
            b.setUp();
            for (int round = 1; round <= 4; round++) {
                long c0 = mx.getCurrentThreadCpuTime();
                int n = 10;
                for (int i = 0; i < n; i++) {
                    b.parseIndex();
                }
                long c1 = mx.getCurrentThreadCpuTime();
                int m = 200;
                for (int i = 0; i < m; i++) {
                    b.search();
                }
                long c2 = mx.getCurrentThreadCpuTime();
                System.out.printf("'%s' round %d: parse 10,000 %.1f ms/cpu, query %.3f ms/cpu%n", q, round,
                        (c1 - c0) / 1e6 / n, (c2 - c1) / 1e6 / m);
            }
        }
    }
}
