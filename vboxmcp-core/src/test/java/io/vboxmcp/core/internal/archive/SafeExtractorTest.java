package io.vboxmcp.core.internal.archive;

import io.vboxmcp.core.internal.publish.DefaultTemplatePublisher;
import io.vboxmcp.core.internal.verify.Fixtures;
import io.vboxmcp.core.internal.verify.PinnedKeyStore;
import io.vboxmcp.core.internal.verify.TemplateTrust;
import io.vboxmcp.core.internal.verify.Tools;
import io.vboxmcp.core.internal.util.Digests;
import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.TrustPolicy;
import io.vboxmcp.VboxmcpException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ARC rows of threats.md: every hostile package is refused as a whole and leaves the work dir untouched. */
class SafeExtractorTest {
    @TempDir
    Path tmp;
    Path home;
    Path work;
    Path pkg;

    @BeforeEach
    void setUp() throws Exception {
        home = Files.createDirectories(tmp.resolve("home"));
        work = Files.createDirectories(tmp.resolve("work"));
        Files.writeString(Files.createDirectories(work.resolve("previous")).resolve("keep.txt"), "earlier good extraction");
        pkg = tmp.resolve("demo-1.0.0.tar.gz");
    }

    private TemplateTrust trust() {
        return Fixtures.trust(home, TrustPolicy.defaults(), Clock.systemUTC());
    }

    /** A manifest entry list for the given name → content pairs, so that only the ARC problem is wrong. */
    private static byte[] manifestFor(Map<String, byte[]> files) throws Exception {
        List<Manifest.Entry> entries = new ArrayList<>();
        for (var e : files.entrySet()) entries.add(new Manifest.Entry(e.getKey(), e.getValue().length, Digests.sha256Hex(e.getValue())));
        return Manifest.of("demo", Fixtures.V1, entries).bytes();
    }

    private void assertRefused(Class<? extends VboxmcpException> type, String messagePart) throws Exception {
        var before = TreeSnapshot.of(work);
        var homeBefore = TreeSnapshot.of(home);
        assertThatThrownBy(() -> trust().verify(Fixtures.fetched(pkg, false, List.of()), work))
                .isInstanceOf(type)
                .hasMessageContaining(messagePart);
        assertThat(TreeSnapshot.of(work)).as("work dir unchanged, no temp dir left").isEqualTo(before);
        assertThat(TreeSnapshot.of(home)).as("home unchanged").isEqualTo(homeBefore);
    }

    private TarBuilder withManifest(String... nameContent) throws Exception {
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        for (int i = 0; i < nameContent.length; i += 2) files.put(nameContent[i], nameContent[i + 1].getBytes(StandardCharsets.UTF_8));
        TarBuilder t = new TarBuilder(pkg);
        t.file(Manifest.FILE_NAME, manifestFor(files), 0100644);
        return t;
    }

    @Test
    void extract_refusesParentTraversal_ARC01() throws Exception {
        try (TarBuilder t = withManifest("a.txt", "a")) {
            t.file("a.txt", "a").file("../../etc/cron.d/x", "pwn");
        }
        assertRefused(ArchiveException.class, "'..' component");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc/x", "C:\\x", "\\\\srv\\s\\x", "dir\\file"})
    void extract_refusesAbsoluteAndBackslashNames_ARC02(String name) throws Exception {
        try (TarBuilder t = withManifest()) {
            t.file(name, "pwn");
        }
        assertRefused(ArchiveException.class, "unsafe path");
    }

    @Test
    void extract_refusesSymlink_ARC03() throws Exception {
        try (TarBuilder t = withManifest()) {
            t.special("link", TarBuilder.SYMLINK, "/etc/passwd");
        }
        assertRefused(ArchiveException.class, "symbolic link");
    }

    @Test
    void extract_refusesSymlinkThenFileThroughIt_ARC04() throws Exception {
        try (TarBuilder t = withManifest()) {
            t.special("d", TarBuilder.SYMLINK, "/tmp").file("d/pwn", "x");
        }
        assertRefused(ArchiveException.class, "symbolic link");
    }

    @Test
    void extract_refusesHardlink_ARC05() throws Exception {
        try (TarBuilder t = withManifest()) {
            t.special("h", TarBuilder.HARDLINK, "../../outside");
        }
        assertRefused(ArchiveException.class, "hard link");
    }

    @Test
    void extract_refusesLinkNamedDot_ARC06() throws Exception {
        try (TarBuilder t = withManifest()) {
            t.special(".", TarBuilder.SYMLINK, "/");
        }
        assertRefused(ArchiveException.class, "symbolic link");
    }

    @ParameterizedTest
    @ValueSource(bytes = {TarBuilder.CHAR, TarBuilder.BLOCK, TarBuilder.FIFO})
    void extract_refusesDevicesAndFifos_ARC07(byte type) throws Exception {
        try (TarBuilder t = withManifest()) {
            t.special("dev", type, null);
        }
        assertRefused(ArchiveException.class, "ARC-07");
    }

    @Test
    void extract_clearsSpecialModeBits_ARC08() throws Exception {
        try (TarBuilder t = withManifest("run.sh", "#!/bin/sh\n", "data.txt", "d")) {
            t.file("data.txt", "d".getBytes(StandardCharsets.UTF_8), 0106777);
            t.file("run.sh", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), 0107777);
        }
        var v = trust().verify(Fixtures.fetched(pkg, false, List.of()), work);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(v.directory().resolve("data.txt"))))
                .as("a data file marked executable in the archive is still a data file").isEqualTo("rw-r--r--");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(v.directory().resolve("run.sh"))))
                .as("an executable script keeps 0755, without setuid/setgid/sticky").isEqualTo("rwxr-xr-x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(v.directory())))
                .as("directories are 0755").isEqualTo("rwxr-xr-x");

        Files.delete(pkg);
        io.vboxmcp.core.internal.util.AtomicFiles.deleteTreeQuietly(v.directory());
        try (TarBuilder t = withManifest("plain.txt", "p")) {
            t.file("plain.txt", "p".getBytes(StandardCharsets.UTF_8), 0106666);
        }
        var v2 = trust().verify(Fixtures.fetched(pkg, false, List.of()), work);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(v2.directory().resolve("plain.txt"))))
                .as("setuid/setgid/sticky and group/other write cleared").isEqualTo("rw-r--r--");
    }

    @Test
    void extract_refusesDuplicateEntries_ARC09() throws Exception {
        try (TarBuilder t = withManifest("a.txt", "a")) {
            t.file("a.txt", "a").file("a.txt", "evil");
        }
        assertRefused(ArchiveException.class, "duplicate entry");
    }

    @Test
    void extract_refusesCaseCollision_ARC11() throws Exception {
        try (TarBuilder t = withManifest()) {
            t.file("Setup.sh", "a").file("setup.sh", "b");
        }
        assertRefused(ArchiveException.class, "collide");
    }

    @Test
    void extract_refusesNfdName_ARC11() throws Exception {
        try (TarBuilder t = withManifest()) {
            t.file("caf\u00e9", "a").file("cafe\u0301", "b");
        }
        assertRefused(ArchiveException.class, "NFC");
    }

    @ParameterizedTest
    @ValueSource(strings = {"CON", "aux.txt", "dir/nul", "trailing.", "trailing ", "a:stream", ".git/config", "sub/.GIT/hooks/x", "git~1/x"})
    void extract_refusesWindowsAndGitNames_ARC12(String name) throws Exception {
        try (TarBuilder t = withManifest()) {
            t.file(name, "x");
        }
        assertRefused(ArchiveException.class, "unsafe path");
    }

    @Test
    void extract_abortsOnCompressionRatio_ARC13() throws Exception {
        try (TarBuilder t = withManifest()) {
            t.zeros("bomb.img", 64L << 20);
        }
        assertRefused(ArchiveException.class, "compression ratio");
    }

    @Test
    void extract_abortsOnTotalSize_ARC13() throws Exception {
        try (TarBuilder t = withManifest()) {
            t.file("a", new byte[600], 0100644).file("b", new byte[600], 0100644);
        }
        TemplateTrust small = new TemplateTrust(TemplateTrust.storeKeys(new PinnedKeyStore(home)), TrustPolicy.defaults(), Fixtures.VERIFIERS,
                Clock.systemUTC(), new SafeExtractor(new SafeExtractor.Limits(100, 1000, 1000, 100, 1 << 20, 1 << 20)));
        var before = TreeSnapshot.of(work);
        assertThatThrownBy(() -> small.verify(Fixtures.fetched(pkg, false, List.of()), work))
                .isInstanceOf(ArchiveException.class).hasMessageContaining("ARC-13");
        assertThat(TreeSnapshot.of(work)).isEqualTo(before);
    }

    @Test
    void extract_abortsOnEntryCountAndEntrySizeAndWritesNothing_ARC14() throws Exception {
        SafeExtractor.Limits few = new SafeExtractor.Limits(10, 4000, 1 << 20, 100, 1 << 20, 1 << 20);
        TemplateTrust limited = new TemplateTrust(TemplateTrust.storeKeys(new PinnedKeyStore(home)), TrustPolicy.defaults(),
                Fixtures.VERIFIERS, Clock.systemUTC(), new SafeExtractor(few));
        // the entries are listed in the manifest, so only the caps can refuse them
        String[] many = new String[40];
        for (int i = 0; i < 20; i++) {
            many[2 * i] = "f" + i;
            many[2 * i + 1] = "x";
        }
        try (TarBuilder t = withManifest(many)) {
            for (int i = 0; i < 20; i++) t.file("f" + i, "x");
        }
        assertRefusedBy(limited, "entries (ARC-14)");

        Files.delete(pkg);
        try (TarBuilder t = withManifest("big", "y".repeat(5000))) {
            t.file("big", "y".repeat(5000).getBytes(StandardCharsets.UTF_8), 0100644);
        }
        assertRefusedBy(limited, "bytes (ARC-14)");
    }

    private void assertRefusedBy(TemplateTrust t, String messagePart) throws Exception {
        var before = TreeSnapshot.of(work);
        var homeBefore = TreeSnapshot.of(home);
        assertThatThrownBy(() -> t.verify(Fixtures.fetched(pkg, false, List.of()), work))
                .isInstanceOfSatisfying(ArchiveException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ARCHIVE_INVALID))
                .hasMessageContaining(messagePart);
        assertThat(TreeSnapshot.of(work)).as("nothing written: no file, no temp dir").isEqualTo(before);
        assertThat(TreeSnapshot.of(home)).as("home unchanged").isEqualTo(homeBefore);
    }

    @Test
    void extract_keepsNestedArchiveOpaque_ARC15() throws Exception {
        Path inner = tmp.resolve("inner.tar.gz");
        try (TarBuilder t = new TarBuilder(inner)) {
            t.file("../../escape", "x");
        }
        String innerBytes = new String(Files.readAllBytes(inner), StandardCharsets.ISO_8859_1);
        Map<String, byte[]> files = Map.of("disk/inner.tar.gz", Files.readAllBytes(inner));
        try (TarBuilder t = new TarBuilder(pkg)) {
            t.file(Manifest.FILE_NAME, manifestFor(files), 0100644);
            t.file("disk/inner.tar.gz", Files.readAllBytes(inner), 0100644);
        }
        var v = trust().verify(Fixtures.fetched(pkg, false, List.of()), work);
        assertThat(new String(Files.readAllBytes(v.directory().resolve("disk/inner.tar.gz")), StandardCharsets.ISO_8859_1)).isEqualTo(innerBytes);
        assertThat(TreeSnapshot.of(v.directory()).keySet()).containsExactlyInAnyOrder("", "vboxmcp.manifest", "disk", "disk/inner.tar.gz");
    }

    @Test
    void extract_refusesOverlongPaths_ARC17() throws Exception {
        try (TarBuilder t = withManifest()) {
            t.file("a".repeat(256), "x");
        }
        assertRefused(ArchiveException.class, "255");
        Files.delete(pkg);
        try (TarBuilder t = withManifest()) {
            t.file("d/".repeat(33) + "f", "x");
        }
        assertRefused(ArchiveException.class, "deeper than");
    }

    @Test
    void extract_removesTempDirWhenLastFileIsBad_ARC18() throws Exception {
        try (TarBuilder t = withManifest("a.txt", "a", "z.txt", "expected")) {
            t.file("a.txt", "a").file("z.txt", "tampered");
        }
        var before = TreeSnapshot.of(work);
        assertThatThrownBy(() -> trust().verify(Fixtures.fetched(pkg, false, List.of()), work))
                .isInstanceOfSatisfying(SignatureVerificationException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH));
        assertThat(TreeSnapshot.of(work)).as("no half extraction, no .extract-* left").isEqualTo(before);
    }

    @Test
    void extract_refusesTruncatedGzip() throws Exception {
        try (TarBuilder t = withManifest("a.txt", "a")) {
            t.file("a.txt", "a");
        }
        byte[] b = Files.readAllBytes(pkg);
        Files.write(pkg, java.util.Arrays.copyOf(b, b.length / 2));
        assertRefused(ArchiveException.class, "not a valid .tar.gz");
    }

    @Test
    void extract_refusesPackageWithoutManifest() throws Exception {
        try (TarBuilder t = new TarBuilder(pkg)) {
            t.file("a.txt", "a");
        }
        assertRefused(ArchiveException.class, "has no vboxmcp.manifest");
    }

    @Test
    void extract_acceptsTarWithDotSlashPrefixAsGnuTarWritesIt() throws Exception {
        Path src = Fixtures.template(tmp.resolve("src"));
        new DefaultTemplatePublisher().writeManifest(src, "demo", Fixtures.V1);
        Tools.run(tmp, List.of("tar", "-czf", pkg.toString(), "-C", src.toString(), ".")).ok();
        var v = trust().verify(Fixtures.fetched(pkg, false, List.of()), work);
        assertThat(Files.readString(v.directory().resolve("scripts/setup.sh"))).contains("echo hello");
        assertThat(Files.isExecutable(v.directory().resolve("scripts/setup.sh"))).isTrue();
    }

    /** A valid package holding a.txt, and what GNU tar lists when it reads {@code pkg}. */
    private String validPackageThenGnuTarList() throws Exception {
        try (TarBuilder t = withManifest("a.txt", "a")) {
            t.file("a.txt", "a");
        }
        return gnuTarList();
    }

    private String gnuTarList() throws Exception {
        // -i: read past the end blocks, as GNU tar does for concatenated archives
        return Tools.run(tmp, List.of("tar", "-t", "-i", "-z", "-f", pkg.toString())).out();
    }

    /** A second archive holding {@code name}, gzipped: what an attacker appends. */
    private byte[] gzippedTarOf(String name) throws Exception {
        Path other = tmp.resolve("other.tar.gz");
        try (TarBuilder t = new TarBuilder(other)) {
            t.file(name, "smuggled");
        }
        return Files.readAllBytes(other);
    }

    @Test
    void scan_refusesASecondGzipMember_thatGnuTarWouldRead_ARC10() throws Exception {
        validPackageThenGnuTarList();
        Files.write(pkg, gzippedTarOf("smuggled.sh"), java.nio.file.StandardOpenOption.APPEND);
        assertThat(gnuTarList()).as("GNU tar sees the appended member").contains("smuggled.sh");
        assertRefused(ArchiveException.class, "after its first gzip member");
    }

    @Test
    void scan_refusesTrailingBytesAfterTheGzipMember_ARC10() throws Exception {
        validPackageThenGnuTarList();
        Files.write(pkg, "trailing garbage".getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
        assertRefused(ArchiveException.class, "after its first gzip member");
    }

    @Test
    void scan_refusesTarDataAfterTheEndBlocks_ARC10() throws Exception {
        // one gzip member whose tar stream goes on after its two end blocks: GNU tar -i reads the rest
        java.io.ByteArrayOutputStream tarBytes = new java.io.ByteArrayOutputStream();
        Path inner = tmp.resolve("inner.tar.gz");
        try (TarBuilder t = new TarBuilder(inner)) {
            t.file(Manifest.FILE_NAME, manifestFor(Map.of("a.txt", "a".getBytes(StandardCharsets.UTF_8))), 0100644);
            t.file("a.txt", "a");
        }
        try (var in = new org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream(Files.newInputStream(inner))) {
            in.transferTo(tarBytes);
        }
        try (var in = new org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream(
                new java.io.ByteArrayInputStream(gzippedTarOf("smuggled.sh")))) {
            in.transferTo(tarBytes);
        }
        try (var out = new org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream(Files.newOutputStream(pkg))) {
            out.write(tarBytes.toByteArray());
        }
        assertThat(gnuTarList()).as("GNU tar -i sees the data after the end blocks").contains("smuggled.sh");
        assertRefused(ArchiveException.class, "after the end of its tar archive");
    }

    @Test
    void scan_acceptsThePaddingPackagersWrite() throws Exception {
        validPackageThenGnuTarList();
        assertThat(new SafeExtractor().scan(pkg).files()).containsOnlyKeys("a.txt");
    }
}
