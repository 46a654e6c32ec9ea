package io.vboxmcp.virtualbox.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The seed ISO is read back with the real {@code isoinfo} (Debian package genisoimage). */
class NoCloudSeedTest {
    static final ZonedDateTime T = ZonedDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);

    @TempDir
    Path tmp;

    static String run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", argv) + ": " + new String(out, StandardCharsets.UTF_8)).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void seedIso_isIso9660LabelledCidata_withUserDataAndMetaData() throws Exception {
        String key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3bKey vboxmcp@host";
        Path iso = tmp.resolve("seed.iso");
        Files.write(iso, NoCloudSeed.iso("iid-42", "mcp-1", "dev", key, T));

        assertThat(run("isoinfo", "-d", "-i", iso.toString())).contains("Volume id: cidata")
                .contains("Logical block size is: 2048");
        // cloud-init's NoCloud finds its seed through blkid: filesystem iso9660 labelled cidata
        assertThat(run("blkid", "-o", "export", iso.toString())).contains("LABEL=cidata").contains("TYPE=iso9660");
        assertThat(run("isoinfo", "-l", "-i", iso.toString())).contains("META-DATA;1").contains("USER-DATA;1");
        String userData = run("isoinfo", "-i", iso.toString(), "-x", "/USER-DATA;1");
        String metaData = run("isoinfo", "-i", iso.toString(), "-x", "/META-DATA;1");
        assertThat(userData).startsWith("#cloud-config\n").contains("  - name: \"dev\"\n")
                .contains("      - \"" + key + "\"\n").contains("NOPASSWD:ALL");
        assertThat(metaData).isEqualTo("instance-id: \"iid-42\"\nlocal-hostname: \"mcp-1\"\n");
    }

    @Test
    void seedIso_isDeterministic_andLargeFilesSpanSectors() throws Exception {
        assertThat(NoCloudSeed.iso("a", "b", "c", "d", T)).isEqualTo(NoCloudSeed.iso("a", "b", "c", "d", T));
        byte[] big = "x".repeat(5000).getBytes(StandardCharsets.US_ASCII);
        Path iso = tmp.resolve("big.iso");
        Files.write(iso, Iso9660Writer.write("cidata", Map.of("user-data", big, "meta-data", new byte[0]), T));
        assertThat(run("isoinfo", "-i", iso.toString(), "-x", "/USER-DATA;1")).isEqualTo("x".repeat(5000));
        assertThat(run("isoinfo", "-i", iso.toString(), "-x", "/META-DATA;1")).isEmpty();
    }

    @Test
    void yamlValues_cannotInjectCloudConfig() {
        String ud = NoCloudSeed.userData("dev\"\nruncmd: [reboot]", "key\nruncmd: [rm]");
        assertThat(ud.lines().filter(l -> l.startsWith("runcmd"))).isEmpty();
        assertThat(ud).contains("\"dev\\\"\\nruncmd: [reboot]\"");
    }

    @Test
    void badNames_areRefused() {
        assertThatThrownBy(() -> Iso9660Writer.write("cidata", Map.of("a b", new byte[0]), T))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Iso9660Writer.write("x".repeat(33), Map.of(), T))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(List.of(Iso9660Writer.write("cidata", Map.of(), T).length % 2048)).containsExactly(0);
    }
}
