package io.vboxmcp.core.internal.archive;

import io.vboxmcp.core.internal.verify.Fixtures;
import io.vboxmcp.core.internal.verify.Tools;
import io.vboxmcp.ArchiveException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

public class ManifestTest {
    /** The recipe docs/trust.md gives publishers: plain find, sort, sha256sum and stat. */
    public static final String SHELL_RECIPE = """
            set -e
            out="${TMPDIR:-/tmp}/vboxmcp.manifest.$$"
            {
              printf 'vboxmcp-manifest 1\\nname %s\\nversion %s\\n' "$NAME" "$VERSION"
              find . -type f ! -path ./vboxmcp.manifest ! -path ./vboxmcp.manifest.asc ! -path ./vboxmcp.manifest.sig -printf '%P\\n' \\
                | LC_ALL=C sort | while IFS= read -r f; do
                    printf '%s %s %s\\n' "$(sha256sum < "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
                  done
            } > "$out"
            mv "$out" vboxmcp.manifest
            """;

    @TempDir
    Path tmp;

    @Test
    void compute_isCanonicalAndSortedLikeCSort() throws Exception {
        Path dir = Fixtures.template(tmp.resolve("t"));
        Files.writeString(dir.resolve("a-b"), "1");
        Files.createDirectories(dir.resolve("a"));
        Files.writeString(dir.resolve("a/b"), "2");
        Files.writeString(dir.resolve("Z"), "3");
        Files.writeString(dir.resolve("\u00e9t\u00e9.txt"), "4");
        Manifest m = Manifest.compute("demo", Fixtures.V1, dir);
        assertThat(m.entries()).extracting(Manifest.Entry::path)
                .containsExactly("README.md", "Z", "a-b", "a/b", "scripts/setup.sh", "template-definition.yaml", "\u00e9t\u00e9.txt");
        String text = new String(m.bytes(), StandardCharsets.UTF_8);
        assertThat(text).startsWith("vboxmcp-manifest 1\nname demo\nversion 1.0.0\n").endsWith("\n");
        assertThat(Manifest.parse(m.bytes()).digest()).isEqualTo(m.digest());
        assertThat(m.digest()).matches("sha256:[0-9a-f]{64}");
    }

    @Test
    void compute_equalsThePlainShellRecipe() throws Exception {
        Path dir = Fixtures.template(tmp.resolve("t"));
        Files.createDirectories(dir.resolve("deep/er"));
        Files.writeString(dir.resolve("deep/er/file with spaces.txt"), "x y\n");
        Files.writeString(dir.resolve("caf\u00e9.md"), "\u00e9\n");
        Files.write(dir.resolve("empty"), new byte[0]);
        Files.writeString(dir.resolve(Manifest.OPENPGP_SIGNATURE), "not listed");
        Tools.run(dir, List.of("bash", "-c", SHELL_RECIPE), "NAME", "demo", "VERSION", "1.0.0", "LC_ALL", "C.UTF-8").ok();
        byte[] byShell = Files.readAllBytes(dir.resolve(Manifest.FILE_NAME));
        assertThat(new String(byShell, StandardCharsets.UTF_8)).isEqualTo(new String(Manifest.compute("demo", Fixtures.V1, dir).bytes(), StandardCharsets.UTF_8));
        assertThat(Manifest.parse(byShell).digest()).isEqualTo(Manifest.compute("demo", Fixtures.V1, dir).digest());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "vboxmcp-manifest 2\nname demo\nversion 1.0.0\n",
            "vboxmcp-manifest 1\nname demo\nversion 1.0\n",
            "vboxmcp-manifest 1\r\nname demo\r\nversion 1.0.0\r\n",
            "vboxmcp-manifest 1\nname demo\nversion 1.0.0",
            "vboxmcp-manifest 1\nname demo\nversion 1.0.0\n\n",
            "vboxmcp-manifest 1\nname de mo\nversion 1.0.0\n"})
    void parse_refusesNonCanonicalHeaders(String text) {
        assertThatThrownBy(() -> Manifest.parse(text.getBytes(StandardCharsets.UTF_8))).isInstanceOf(ArchiveException.class)
                .hasMessageContaining("malformed vboxmcp.manifest");
    }

    @Test
    void parse_refusesUnsortedDuplicateAndUnsafeEntries() {
        String h = "vboxmcp-manifest 1\nname demo\nversion 1.0.0\n";
        String a = "0".repeat(64) + " 0 ";
        for (String body : List.of(a + "b\n" + a + "a\n", a + "a\n" + a + "a\n", a + "../x\n", a + ".git/config\n",
                a + "vboxmcp.manifest.asc\n", a + "A\n" + a + "a\n", a + "a\n" + a + "a/b\n", "0".repeat(63) + " 0 a\n",
                "A".repeat(64) + " 0 x\n", "0".repeat(64) + " 01 a\n")) {
            assertThatThrownBy(() -> Manifest.parse((h + body).getBytes(StandardCharsets.UTF_8)))
                    .as(body).isInstanceOf(ArchiveException.class);
        }
    }

    @Test
    void compute_refusesSymlinksAndGitFolders() throws Exception {
        Path dir = Fixtures.template(tmp.resolve("t"));
        Files.createSymbolicLink(dir.resolve("link"), Path.of("/etc/passwd"));
        assertThatThrownBy(() -> Manifest.compute("demo", Fixtures.V1, dir)).isInstanceOf(ArchiveException.class).hasMessageContaining("symbolic link");
        Files.delete(dir.resolve("link"));
        Files.createDirectories(dir.resolve(".git"));
        Files.writeString(dir.resolve(".git/HEAD"), "ref");
        assertThatThrownBy(() -> Manifest.compute("demo", Fixtures.V1, dir)).isInstanceOf(ArchiveException.class).hasMessageContaining(".git");
    }
}
