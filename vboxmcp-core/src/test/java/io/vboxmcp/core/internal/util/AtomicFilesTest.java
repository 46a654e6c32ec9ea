package io.vboxmcp.core.internal.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Store files are replaced atomically: a reader, or the next run after a crash, sees old or new, never torn. */
class AtomicFilesTest {
    private static final int SIZE = 4 << 20;

    @TempDir
    Path dir;

    private static void assertWhole(byte[] content) {
        assertThat(content.length).as("never a short file").isEqualTo(SIZE);
        byte first = content[0];
        assertThat(first == 'a' || first == 'b').isTrue();
        for (int i = 0; i < content.length; i += 4096) {
            assertThat(content[i]).as("never a mix of two versions").isEqualTo(first);
        }
        assertThat(content[content.length - 1]).isEqualTo(first);
    }

    @Test
    void write_killedMidWayByAnotherProcess_leavesOldOrNewNeverTorn_LCY11() throws Exception {
        Path target = dir.resolve("vm.json");
        byte[] initial = new byte[SIZE];
        java.util.Arrays.fill(initial, (byte) 'a');
        AtomicFiles.write(target, initial);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process writer = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                AtomicWriteMain.class.getName(), target.toString(), String.valueOf(SIZE)).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("WRITING");
            // read while the other process keeps replacing the file: every read is one whole version
            int reads = 0;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < until) {
                try {
                    assertWhole(Files.readAllBytes(target));
                    reads++;
                } catch (NoSuchFileException e) {
                    throw new AssertionError("the file vanished during a replace", e);
                }
            }
            assertThat(reads).isPositive();
        } finally {
            writer.destroyForcibly();  // SIGKILL, most likely in the middle of a write
            assertThat(writer.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertWhole(Files.readAllBytes(target));
        // what the killed writer left is a temporary file beside the target, never the target itself
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList())
                    .allMatch(n -> n.equals("vm.json") || (n.startsWith(".vm.json") && n.endsWith(".tmp")));
        }
    }
}
