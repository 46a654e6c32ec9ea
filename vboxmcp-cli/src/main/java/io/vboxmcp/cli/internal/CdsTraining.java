package io.vboxmcp.cli.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The build's class-data-sharing training run (vboxmcp-cli/pom.xml, {@code -XX:ArchiveClassesAtExit}): runs the
 * commands users start most, in one JVM, against a throw-away home, so the archive the launcher maps holds the
 * classes of the whole command line, not only of the first command. Not part of the command line itself.
 */
final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path work = Files.createTempDirectory("vboxmcp-cds-training-");
        String home = work.resolve("home").toString();
        String tpl = work.resolve("cds-training").toString();
        List<List<String>> commands = List.of(
                List.of("--help"),
                List.of("--version"),
                List.of("create", "--help"),
                List.of("--home", home, "init", "cds-training", "--dir", work.toString()),
                List.of("--home", home, "validate", tpl),
                List.of("--home", home, "--json", "validate", tpl),
                List.of("--home", home, "validate", work.resolve("missing").toString()),
                List.of("--home", home, "install", tpl),
                List.of("--home", home, "list"),
                List.of("--home", home, "status"),
                List.of("--home", home, "plan", "cds-vm", "--template", "cds-training"),
                List.of("--home", home, "images", "list"),
                List.of("--home", home, "no-such-command"));
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), true);
        try {
            for (List<String> c : commands) {
                // failures are expected (no image catalog for plan, an unknown command): the classes load anyway
                Main.run(c.toArray(String[]::new), sink, sink);
            }
        } finally {
            try (Stream<Path> all = Files.walk(work)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
