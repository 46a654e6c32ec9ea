package io.vboxmcp.benchmarks;

import io.vboxmcp.core.internal.template.TemplateLoader;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * A companion to the JMH benchmarks for shared, busy machines: measures operations per second of the calling
 * thread's <em>CPU time</em> (ThreadMXBean), which other processes competing for the cores do not inflate the way
 * they inflate JMH's wall-clock throughput. Run with
 * {@code java -cp benchmarks/target/benchmarks.jar io.vboxmcp.benchmarks.CpuTimeCheck}.
 */
public final class CpuTimeCheck {
    private CpuTimeCheck() {
    }

    public static void main(String[] args) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        TemplateLoadBenchmark t = new TemplateLoadBenchmark();
        t.setUp();
        VersionResolveBenchmark v = new VersionResolveBenchmark();
        v.range = "^5.50";
        v.setUp();
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        for (int r = 1; r <= rounds; r++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            int n = 20_000;
            for (int i = 0; i < n; i++) {
                sink(t.parseAndValidateSeed());
            }
            long c1 = mx.getCurrentThreadCpuTime();
            long w1 = System.nanoTime();
            int m = 1_000;
            for (int i = 0; i < m; i++) {
                sink(v.highestAmong10000());
            }
            long c2 = mx.getCurrentThreadCpuTime();
            System.out.printf("round %d: template parse+validate %,.0f ops/cpu-s (%,.0f ops/wall-s); "
                            + "highest of 10,000 ('^5.50') %,.0f ops/cpu-s%n", r,
                    n / ((c1 - c0) / 1e9), n / ((w1 - w0) / 1e9), m / ((c2 - c1) / 1e9));
        }
        if (sinkCount == 42) {
            System.out.println();
        }
    }

    private static int sinkCount;

    private static void sink(Object o) {
        sinkCount += o.hashCode() & 1;
    }
}
