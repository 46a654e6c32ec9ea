package io.vboxmcp.core.internal.host;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.spi.CloudInitSeed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The one seed writer of every driver. The ISO is read back with the real {@code isoinfo} (Debian package
 * genisoimage) and {@code blkid}; the QEMU guest tests boot guests whose cloud-init reads it.
 */
class NoCloudSeedWriterTest {
    static final ZonedDateTime T = ZonedDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);
    static final String KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3bKey vboxmcp@host";

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
        Path iso = tmp.resolve("seed.iso");
        new NoCloudSeedWriter(Clock.fixed(T.toInstant(), ZoneOffset.UTC))
                .write(new CloudInitSeed("iid-42", "mcp-1", "dev", KEY), iso);

        assertThat(run("isoinfo", "-d", "-i", iso.toString())).contains("Volume id: cidata")
                .contains("Logical block size is: 2048");
        // cloud-init's NoCloud finds its seed through blkid: filesystem iso9660 labelled cidata
        assertThat(run("blkid", "-o", "export", iso.toString())).contains("LABEL=cidata").contains("TYPE=iso9660");
        // busybox's findfs (the test guest's NoCloud) reads 68 KiB before probing: a shorter seed is never found
        assertThat(run("busybox", "blkid", iso.toString())).contains("LABEL=\"cidata\"").contains("TYPE=\"iso9660\"");
        assertThat(run("isoinfo", "-l", "-i", iso.toString())).contains("META-DATA;1").contains("USER-DATA;1");
        String userData = run("isoinfo", "-i", iso.toString(), "-x", "/USER-DATA;1");
        String metaData = run("isoinfo", "-i", iso.toString(), "-x", "/META-DATA;1");
        assertThat(userData).startsWith("#cloud-config\n").contains("  - name: \"dev\"\n")
                .contains("      - \"" + KEY + "\"\n").contains("NOPASSWD:ALL").contains("disable_root: true");
        assertThat(metaData).isEqualTo("instance-id: \"iid-42\"\nlocal-hostname: \"mcp-1\"\n");
        assertThat(tmp).isDirectoryNotContaining(p -> !p.equals(iso));
    }

    @Test
    void userData_installsKeyForRootAndNamesHost() {
        String ud = NoCloudSeedWriter.userData(new CloudInitSeed("iid-1", "vm-1", "root", "ssh-ed25519 AAAA test"));
        assertThat(ud).startsWith("#cloud-config\n").contains("hostname: \"vm-1\"").contains("disable_root: false")
                .contains("- \"ssh-ed25519 AAAA test\"").doesNotContain("users:");
        assertThat(NoCloudSeedWriter.userData(new CloudInitSeed("i", "vm-1", "ubuntu", "k")))
                .contains("name: \"ubuntu\"").contains("disable_root: true");
        assertThat(CloudInitSeed.hostname("My_VM.1")).isEqualTo("my-vm-1");
        assertThat(CloudInitSeed.hostname("__")).isEqualTo("vm");
        assertThat(List.of(NoCloudSeedWriter.metaData(new CloudInitSeed("iid-1", "h", "root", "k")).split("\n")))
                .containsExactly("instance-id: \"iid-1\"", "local-hostname: \"h\"");
    }

    @Test
    void seedIso_isDeterministic_andLargeFilesSpanSectors() throws Exception {
        CloudInitSeed seed = new CloudInitSeed("a", "b", "c", "d");
        assertThat(NoCloudSeedWriter.iso(seed, T)).isEqualTo(NoCloudSeedWriter.iso(seed, T));
        byte[] big = "x".repeat(5000).getBytes(StandardCharsets.US_ASCII);
        Path iso = tmp.resolve("big.iso");
        Files.write(iso, Iso9660Writer.write("cidata", Map.of("user-data", big, "meta-data", new byte[0]), T));
        assertThat(run("isoinfo", "-i", iso.toString(), "-x", "/USER-DATA;1")).isEqualTo("x".repeat(5000));
        assertThat(run("isoinfo", "-i", iso.toString(), "-x", "/META-DATA;1")).isEmpty();
    }

    @Test
    void valuesThatWouldBeCloudConfig_areRefusedAndNothingIsWritten() {
        Path iso = tmp.resolve("seed.iso");
        NoCloudSeedWriter w = new NoCloudSeedWriter();
        for (CloudInitSeed bad : List.of(new CloudInitSeed("i", "h", "dev\"\nruncmd: [reboot]", KEY),
                new CloudInitSeed("i", "h", "dev", "key\nruncmd: [rm]"),
                new CloudInitSeed("i\nruncmd: [rm]", "h", "dev", KEY),
                new CloudInitSeed("i", "h", "Root Login", KEY))) {
            HypervisorException e = catchThrowableOfType(HypervisorException.class, () -> w.write(bad, iso));
            assertThat(e).as(bad.toString()).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(iso).doesNotExist();
        }
        // quotes in a value stay inside its scalar
        assertThat(NoCloudSeedWriter.userData(new CloudInitSeed("i", "h", "dev", "key \"x\"\\")))
                .contains("- \"key \\\"x\\\"\\\\\"");
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
