package io.vboxmcp.core.internal.publish;

import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.archive.TreeSnapshot;
import io.vboxmcp.core.internal.verify.Fixtures;
import io.vboxmcp.core.internal.verify.Tools;
import io.vboxmcp.core.internal.util.Digests;
import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackagerTest {
    @TempDir
    Path tmp;

    @Test
    void pack_isByteForByteReproducible() throws Exception {
        Path dir = Fixtures.template(tmp.resolve("t"));
        new DefaultTemplatePublisher().writeManifest(dir, "demo", Fixtures.V1);
        String d1 = new Packager().pack(dir, tmp.resolve("a.tar.gz"));
        // same content, different times and a copy in another place: same bytes
        Path copy = Fixtures.template(tmp.resolve("elsewhere/copy"));
        Files.copy(dir.resolve(Manifest.FILE_NAME), copy.resolve(Manifest.FILE_NAME));
        Files.setLastModifiedTime(copy.resolve("README.md"), FileTime.from(Instant.parse("2001-01-01T00:00:00Z")));
        String d2 = new Packager().pack(copy, tmp.resolve("b.tar.gz"));
        assertThat(d2).isEqualTo(d1);
        assertThat(Files.readAllBytes(tmp.resolve("b.tar.gz"))).isEqualTo(Files.readAllBytes(tmp.resolve("a.tar.gz")));
        assertThat(d1).isEqualTo("sha256:" + Digests.sha256File(tmp.resolve("a.tar.gz")).hex());
    }

    @Test
    void pack_writesFixedOwnersModesTimesAndManifestFirst() throws Exception {
        Path dir = Fixtures.template(tmp.resolve("t"));
        new DefaultTemplatePublisher().writeManifest(dir, "demo", Fixtures.V1);
        Path pkg = tmp.resolve("p.tar.gz");
        new Packager().pack(dir, pkg);
        String listing = Tools.run(tmp, List.of("tar", "--numeric-owner", "--utc", "-tvzf", pkg.toString())).ok().out();
        String[] lines = listing.strip().split("\n");
        assertThat(lines[0]).contains("-rw-r--r-- 0/0").contains("1970-01-01 00:00").endsWith(" vboxmcp.manifest");
        assertThat(listing).contains("drwxr-xr-x 0/0").contains("-rwxr-xr-x 0/0");
        assertThat(listing).containsPattern("-rwxr-xr-x 0/0 +\\d+ 1970-01-01 00:00 scripts/setup.sh");
        byte[] b = Files.readAllBytes(pkg);
        assertThat(new byte[]{b[4], b[5], b[6], b[7]}).as("gzip MTIME is zero").containsOnly(0);
        assertThat(b[3] & 0x08).as("no FNAME in the gzip header").isZero();
    }

    @Test
    void pack_refusesStaleOrMissingManifest_andWritesNothing() throws Exception {
        Path dir = Fixtures.template(tmp.resolve("t"));
        Path out = tmp.resolve("out/p.tar.gz");
        assertThatThrownBy(() -> new Packager().pack(dir, out)).isInstanceOf(ArchiveException.class);
        new DefaultTemplatePublisher().writeManifest(dir, "demo", Fixtures.V1);
        Files.writeString(dir.resolve("README.md"), "changed after the manifest\n");
        assertThatThrownBy(() -> new Packager().pack(dir, out)).isInstanceOfSatisfying(VboxmcpException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH));
        assertThat(TreeSnapshot.of(tmp.resolve("out"))).isEmpty();
    }
}
