package io.vboxmcp.core.internal.manager;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** LCY-15: an update that fails half-way leaves the version before it intact and usable. */
class TemplateUpdateTest {
    @TempDir
    Path tmp;

    private static Path folder(Path dir, String version, String setup) throws Exception {
        Files.createDirectories(dir.resolve("scripts"));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: demo\nversion: \"" + version + "\"\n"
                + "base_image: \"test-image:1\"\n");
        Files.writeString(dir.resolve("scripts/a.sh"), "#!/bin/sh\necho first file\n");
        Files.writeString(dir.resolve("scripts/setup.sh"), setup);
        return dir;
    }

    private static Map<String, String> tree(Path root) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().endsWith(".lock")) {
                    out.put(root.relativize(p).toString(), Files.readString(p, StandardCharsets.ISO_8859_1));
                }
            }
        }
        return out;
    }

    @Test
    void install_updateFailingDuringExtraction_leavesPreviousVersionIntactAndUsable_LCY15() throws Exception {
        Path home = tmp.resolve("home");
        try (VmManager m = VmManager.builder().home(home).discoverProviders(false)
                .addDriver(new RecordingHypervisorDriver().factory()).build()) {
            m.templates().install(folder(tmp.resolve("v1"), "1.0.0", "#!/bin/sh\necho version one\n"));
            Map<String, String> before = tree(home.resolve("templates"));

            // 1.1.0 as a package whose last file was swapped after signing: same size, other bytes, so it is
            // caught only while extracting, after the files before it were written
            Path v2 = folder(tmp.resolve("v2"), "1.1.0", "#!/bin/sh\necho version two\n");
            m.publisher().writeManifest(v2, "demo", SemanticVersion.parse("1.1.0"));
            Path pkg = tmp.resolve("demo-1.1.0.tar.gz");
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(Files.newOutputStream(pkg)))) {
                for (String name : new String[] {"vboxmcp.manifest", "template-definition.yaml", "scripts/a.sh", "scripts/setup.sh"}) {
                    byte[] body = Files.readAllBytes(v2.resolve(name));
                    if (name.equals("scripts/setup.sh")) {
                        body = "#!/bin/sh\necho version evil\n".getBytes(StandardCharsets.UTF_8);
                    }
                    TarArchiveEntry e = new TarArchiveEntry(name);
                    e.setSize(body.length);
                    tar.putArchiveEntry(e);
                    tar.write(body);
                    tar.closeArchiveEntry();
                }
            }
            assertThatThrownBy(() -> m.templates().install(pkg)).isInstanceOfSatisfying(VboxmcpException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH));

            assertThat(tree(home.resolve("templates"))).as("the repository is exactly as before").isEqualTo(before);
            assertThat(m.templates().versions("demo")).containsExactly(SemanticVersion.parse("1.0.0"));
            assertThat(m.templates().get("demo", SemanticVersion.parse("1.0.0"))).hasValueSatisfying(t ->
                    assertThat(t.directory().resolve("scripts/setup.sh")).hasContent("#!/bin/sh\necho version one\n"));
            // and still usable: the newest match for ^1 is the old version
            assertThat(m.plan(CreateVmRequest.builder("vm1", TemplateRef.parse("demo@^1")).build()).template().version())
                    .isEqualTo(SemanticVersion.parse("1.0.0"));
            try (Stream<Path> s = Files.walk(home)) {
                assertThat(s.map(Path::toString).toList()).as("no staging or extraction folder left")
                        .noneMatch(p -> p.contains(".extract-") || p.contains("1.1.0"));
            }
        }
    }
}
