package io.vboxmcp.core.internal.repo;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.template.InstalledTemplate;
import io.vboxmcp.template.TemplateInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalRepositoryTest {
    @TempDir
    Path tmp;

    private LocalRepository repo() {
        return new LocalRepository(tmp.resolve("home"), TemplateLoader.standard(), Duration.ofSeconds(30), (p, s) -> {
            throw new VboxmcpException(ErrorCode.ARCHIVE_INVALID, "no packages in this test");
        }, io.vboxmcp.core.internal.archive.SafeExtractor.Limits.defaults(), (dir, d) -> { });
    }

    static Path template(Path dir, String name, String version, String extra) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(TemplateLoader.FILE_NAME), "name: " + name + "\nversion: \"" + version + "\"\n"
                + "description: a test template\nbase_image: \"vboxmcp-test:1\"\nmetadata:\n  tags: [\"test\", \"demo\"]\n"
                + extra);
        Files.writeString(dir.resolve("setup.sh"), "#!/bin/sh\necho " + version + "\n");
        return dir;
    }

    /** Every file below the repository root with its content, to show an operation changed nothing. */
    private Object snapshot() throws IOException {
        Path root = tmp.resolve("home/templates");
        TreeMap<String, String> out = new TreeMap<>();
        if (Files.exists(root)) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.toList()) {
                    out.put(root.relativize(p).toString(), Files.isRegularFile(p) ? Files.readString(p) : "/");
                }
            }
        }
        return out;
    }

    @Test
    void install_placesVersionsSideBySideAndListsThem() throws Exception {
        LocalRepository r = repo();
        InstalledTemplate a = r.install(template(tmp.resolve("a"), "demo", "1.0.0", ""));
        r.install(template(tmp.resolve("b"), "demo", "1.2.0", ""));
        assertThat(a.directory()).isEqualTo(tmp.resolve("home/templates/demo/1.0.0"));
        assertThat(a.manifestDigest()).startsWith("sha256:");
        assertThat(r.versions("demo")).extracting(SemanticVersion::toString).containsExactly("1.0.0", "1.2.0");
        assertThat(r.list()).extracting(TemplateInfo::name, i -> i.version().toString(), TemplateInfo::sourceId)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("demo", "1.0.0", "local"),
                        org.assertj.core.groups.Tuple.tuple("demo", "1.2.0", "local"));
        assertThat(r.get("demo", SemanticVersion.parse("1.2.0"))).get()
                .satisfies(t -> assertThat(Files.readString(t.directory().resolve("setup.sh"))).contains("1.2.0"));
    }

    @Test
    void versions_readsTheSeedsOneVersionLayout() throws Exception {
        template(tmp.resolve("home/templates/python-dev"), "python-dev", "1.0.0", "");
        LocalRepository r = repo();
        assertThat(r.versions("python-dev")).extracting(SemanticVersion::toString).containsExactly("1.0.0");
        FetchedTemplate f = r.fetch("python-dev", SemanticVersion.parse("1.0.0"), Files.createDirectories(tmp.resolve("w")));
        assertThat(f.location().resolve("setup.sh")).exists();
        assertThat(f.remote()).isFalse();
        assertThat(f.location()).as("a private copy is handed out").isNotEqualTo(tmp.resolve("home/templates/python-dev"));
    }

    @Test
    void install_sameContentTwiceIsIdempotent() throws Exception {
        LocalRepository r = repo();
        Path src = template(tmp.resolve("a"), "demo", "1.0.0", "");
        InstalledTemplate first = r.install(src);
        InstalledTemplate second = r.install(src);
        assertThat(second.manifestDigest()).isEqualTo(first.manifestDigest());
    }

    @Test
    void install_refusesSameVersionWithOtherContentAndChangesNothing() throws Exception {
        LocalRepository r = repo();
        r.install(template(tmp.resolve("a"), "demo", "1.0.0", ""));
        Object before = snapshot();
        Path other = template(tmp.resolve("b"), "demo", "1.0.0", "");
        Files.writeString(other.resolve("setup.sh"), "#!/bin/sh\necho tampered\n");
        assertThatThrownBy(() -> r.install(other)).isInstanceOfSatisfying(VboxmcpException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void install_refusesInvalidTemplateAndChangesNothing() throws Exception {
        LocalRepository r = repo();
        r.install(template(tmp.resolve("a"), "demo", "1.0.0", ""));
        Object before = snapshot();
        Path bad = template(tmp.resolve("bad"), "demo", "2.0.0", "scirpt: typo\n");
        assertThatThrownBy(() -> r.install(bad)).isInstanceOf(TemplateValidationException.class);
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void install_refusesSymlinkInsideTemplateFolder() throws Exception {
        LocalRepository r = repo();
        Path src = template(tmp.resolve("a"), "demo", "1.0.0", "");
        Files.createSymbolicLink(src.resolve("passwd"), Path.of("/etc/passwd"));
        // the same refusal a package with a symlink entry gets (one rule for folders and packages)
        assertThatThrownBy(() -> r.install(src)).isInstanceOfSatisfying(VboxmcpException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.ARCHIVE_INVALID));
        assertThat(snapshot()).as("not even an empty repository folder is left").isEqualTo(new TreeMap<>());
    }

    @Test
    void remove_deletesOneVersionOrAll() throws Exception {
        LocalRepository r = repo();
        r.install(template(tmp.resolve("a"), "demo", "1.0.0", ""));
        r.install(template(tmp.resolve("b"), "demo", "2.0.0", ""));
        assertThat(r.remove("demo", SemanticVersion.parse("1.0.0"))).isTrue();
        assertThat(r.versions("demo")).extracting(SemanticVersion::toString).containsExactly("2.0.0");
        assertThat(r.remove("demo", null)).isTrue();
        assertThat(r.versions("demo")).isEmpty();
        assertThat(tmp.resolve("home/templates/demo")).doesNotExist();
        assertThat(r.remove("demo", null)).isFalse();
    }

    @Test
    void install_fromTwoThreadsWithConflictingContent_oneWinsNothingTorn() throws Exception {
        LocalRepository r = repo();
        Path a = template(tmp.resolve("a"), "demo", "1.0.0", "");
        Path b = template(tmp.resolve("b"), "demo", "1.0.0", "");
        Files.writeString(b.resolve("setup.sh"), "#!/bin/sh\necho other\n");
        CyclicBarrier barrier = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<String>> results = new ArrayList<>();
        for (Path src : List.of(a, b)) {
            results.add(pool.submit((Callable<String>) () -> {
                barrier.await();
                try {
                    r.install(src);
                    return "OK";
                } catch (VboxmcpException e) {
                    return e.code().name();
                }
            }));
        }
        List<String> outcomes = new ArrayList<>();
        for (Future<String> f : results) {
            outcomes.add(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertThat(outcomes).containsExactlyInAnyOrder("OK", "CONFLICT");
        assertInstalledIsOneOf(r, a, b);
    }

    @Test
    void install_fromTwoJvmsWithConflictingContent_oneWinsNothingTorn() throws Exception {
        LocalRepository r = repo();
        Path a = template(tmp.resolve("a"), "demo", "1.0.0", "");
        Path b = template(tmp.resolve("b"), "demo", "1.0.0", "");
        Files.writeString(b.resolve("setup.sh"), "#!/bin/sh\necho other\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        List<Process> ps = new ArrayList<>();
        for (Path src : List.of(a, b)) {
            ps.add(new ProcessBuilder(java, "-cp", cp, InstallMain.class.getName(), tmp.resolve("home").toString(),
                    src.toString()).redirectErrorStream(true).start());
        }
        List<String> outcomes = new ArrayList<>();
        for (Process p : ps) {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            outcomes.add(out.lines().reduce((x, y) -> y).orElse(out));
        }
        assertThat(outcomes).containsExactlyInAnyOrder("OK", "CONFLICT");
        assertInstalledIsOneOf(r, a, b);
    }

    private static void assertInstalledIsOneOf(LocalRepository r, Path a, Path b) throws Exception {
        InstalledTemplate t = r.get("demo", SemanticVersion.parse("1.0.0")).orElseThrow();
        String installed = Files.readString(t.directory().resolve("setup.sh"));
        assertThat(installed).isIn(Files.readString(a.resolve("setup.sh")), Files.readString(b.resolve("setup.sh")));
        try (Stream<Path> s = Files.list(t.directory().getParent().getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no staging leftovers")
                    .noneMatch(n -> n.startsWith(".staging") || n.startsWith(".trash"));
        }
    }
}
