package io.vboxmcp.benchmarks.trust;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs the trust benchmarks and prints the manifest-vs-sha256sum ratio (sha256sum time / our time; target ≥ 0.8).
 * {@code java -cp benchmarks/target/benchmarks.jar io.vboxmcp.benchmarks.trust.TrustBenchmarks}
 */
public final class TrustBenchmarks {
    private TrustBenchmarks() {
    }

    public static void main(String[] args) throws RunnerException {
        Options opts = new OptionsBuilder().include("io\\.vboxmcp\\.benchmarks\\.trust\\..*Benchmark").build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<String, Double> score = new HashMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            score.put(name.substring(name.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        Double ours = score.get("manifestDigest");
        Double tool = score.get("sha256sum");
        if (ours != null && tool != null) {
            double mib = 100.0;
            System.out.printf("%nmanifest digest: %.1f ms/op (%.0f MiB/s); sha256sum: %.1f ms/op (%.0f MiB/s); ratio (sha256sum time / ours) = %.2f (target >= 0.8)%n",
                    ours, mib / (ours / 1000), tool, mib / (tool / 1000), tool / ours);
        }
        if (score.containsKey("openpgpVerify")) System.out.printf("OpenPGP verifications/s: %.0f%n", score.get("openpgpVerify"));
        if (score.containsKey("sshVerify")) System.out.printf("SSH verifications/s: %.0f%n", score.get("sshVerify"));
    }
}
