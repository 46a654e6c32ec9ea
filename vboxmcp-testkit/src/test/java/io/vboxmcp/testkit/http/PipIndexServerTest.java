package io.vboxmcp.testkit.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

class PipIndexServerTest {
    @TempDir
    Path tmp;

    private static String run(Path dir, List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("PIP_CONFIG_FILE", "/dev/null");  // the host user's pip settings play no part
        pb.environment().put("PIP_NO_INPUT", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished: " + out).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
        return out;
    }

    @Test
    void wheel_hasModuleMetadataAndARecordWithHashes() throws Exception {
        Wheels.Wheel w = Wheels.make("Hello.VBoxmcp", "1.2.0", "X = 1\n");
        assertThat(w.fileName()).isEqualTo("Hello_VBoxmcp-1.2.0-py3-none-any.whl");
        assertThat(w.module()).isEqualTo("hello_vboxmcp");
        Path f = tmp.resolve(w.fileName());
        Files.write(f, w.content());
        try (ZipFile zip = new ZipFile(f.toFile())) {
            String record = new String(zip.getInputStream(zip.getEntry("Hello_VBoxmcp-1.2.0.dist-info/RECORD"))
                    .readAllBytes(), StandardCharsets.UTF_8);
            assertThat(record).contains("hello_vboxmcp/__init__.py,sha256=", "Hello_VBoxmcp-1.2.0.dist-info/METADATA,"
                    + "sha256=", "Hello_VBoxmcp-1.2.0.dist-info/RECORD,,");
        }
    }

    /** The real pip of the host downloads from the index (hash fragment checked) and the module imports. */
    @Test
    void pipDownload_fromTheIndexGetsAWheelThatImports() throws Exception {
        Wheels.Wheel hello = Wheels.make("hello-vboxmcp", "1.0.0", "GREETING = 'hello from the index'\n");
        Wheels.Wheel older = Wheels.make("hello-vboxmcp", "0.9.0", "GREETING = 'old'\n");
        Wheels.Wheel other = Wheels.make("other_pkg", "2.0.0", "");
        try (PipIndexServer index = PipIndexServer.serve(tmp.resolve("index"), List.of(hello, older, other))) {
            Path dl = Files.createDirectories(tmp.resolve("dl"));
            run(tmp, List.of("python3", "-m", "pip", "download", "--disable-pip-version-check", "--no-cache-dir",
                    "--index-url", index.indexUrl().toString(), "--no-deps", "-d", dl.toString(), "Hello_VBoxmcp"));
            assertThat(dl.resolve(hello.fileName())).as("the newest version, by normalized name").exists();
            assertThat(dl.resolve(older.fileName())).doesNotExist();
            assertThat(index.requests()).contains("GET /simple/hello-vboxmcp/", "GET /files/" + hello.fileName());
            String imported = run(tmp, List.of("python3", "-c", "import sys; sys.path.insert(0, '"
                    + dl.resolve(hello.fileName()) + "'); import hello_vboxmcp; print(hello_vboxmcp.GREETING)"));
            assertThat(imported.trim()).isEqualTo("hello from the index");
        }
    }
}
