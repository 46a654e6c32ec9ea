package io.vboxmcp.core.internal.image;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.Firmware;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Digest algorithms end to end against a loopback HTTP server, and the cheap re-verification of cached files. */
class ImageVerificationTest {
    @TempDir
    Path home;

    private ImageStoreTest.ImageServer server;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    private byte[] disk;

    @BeforeEach
    void serve() throws IOException {
        disk = new byte[2 * 1024 * 1024 + 5];
        new Random(512).nextBytes(disk);
        server = new ImageStoreTest.ImageServer();
        server.files.put("/img/disk.raw", disk);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private void catalog(String digestFields) {
        String doc = "{\"images\":[{\"reference\":\"t:1\",\"firmware\":\"bios\",\"disk\":{\"url\":\"disk.raw\","
                + digestFields + "}}]}";
        server.files.put("/img/catalog.json", doc.getBytes(StandardCharsets.UTF_8));
    }

    private ImageStore store(Clock clock) {
        return new ImageStore(home, List.of(server.uri("/img/catalog.json")), http, false, clock);
    }

    /** A clock an hour ahead: a stamp recorded right after a download is then not racy. */
    private static Clock later() {
        return Clock.offset(Clock.systemUTC(), Duration.ofHours(1));
    }

    private List<Path> cacheFiles() throws IOException {
        Path dir = home.resolve("cache/images");
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }

    private long verifications() {
        return events.stream().filter(e -> e.message().contains("verifying cached")).count();
    }

    @Test
    void resolve_sha512DigestIsVerifiedAndNamesTheCacheFile() throws Exception {
        catalog("\"digest\":\"sha512:" + hex("SHA-512", disk) + "\"");

        BaseImage img = store(Clock.systemUTC()).resolve("t:1", events::add);

        assertThat(img.digest()).isEqualTo("sha512:" + hex("SHA-512", disk));
        assertThat(img.disk()).isEqualTo(home.resolve("cache/images/sha512-" + hex("SHA-512", disk)));
        assertThat(Files.readAllBytes(img.disk())).isEqualTo(disk);
        assertThat(img.firmware()).isEqualTo(Firmware.BIOS);
        assertThat(img.diskFormat()).isEqualTo("raw");
    }

    @Test
    void resolve_bothDigestsListedAndRight_isCachedUnderSha512() throws Exception {
        catalog("\"sha256\":\"" + hex("SHA-256", disk) + "\",\"digest\":\"sha512:" + hex("SHA-512", disk) + "\"");

        BaseImage img = store(Clock.systemUTC()).resolve("t:1", events::add);

        assertThat(img.digest()).startsWith("sha512:");
        assertThat(cacheFiles()).extracting(p -> p.getFileName().toString())
                .containsExactly("sha512-" + hex("SHA-512", disk));
    }

    @Test
    void resolve_refusesWhenOneOfTwoDigestsIsWrong_ART04() throws Exception {
        byte[] other = "not the disk".getBytes(StandardCharsets.UTF_8);
        for (String fields : List.of(
                "\"sha256\":\"" + hex("SHA-256", other) + "\",\"digest\":\"sha512:" + hex("SHA-512", disk) + "\"",
                "\"sha256\":\"" + hex("SHA-256", disk) + "\",\"sha512\":\"" + hex("SHA-512", other) + "\"")) {
            catalog(fields);

            VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                    () -> store(Clock.systemUTC()).resolve("t:1", events::add));

            assertThat(e).as(fields).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
            assertThat(cacheFiles()).as("cache after a half-matching download").isEmpty();
        }
    }

    @Test
    void resolve_cachedFileVerifiedForSha512OnlyIsHashedAgainWhenAnEntryAlsoNamesSha256_ART04() throws Exception {
        catalog("\"digest\":\"sha512:" + hex("SHA-512", disk) + "\"");
        store(later()).resolve("t:1", ProgressListener.NONE);
        byte[] other = "x".getBytes(StandardCharsets.UTF_8);
        catalog("\"digest\":[\"sha512:" + hex("SHA-512", disk) + "\",\"sha256:" + hex("SHA-256", other) + "\"]");

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> store(later()).resolve("t:1", events::add));

        assertThat(e).isNotNull();
        assertThat(verifications()).as("the cached file was hashed, not trusted from its stamp").isEqualTo(1);
    }

    @Test
    void resolve_refusesOnlyUnknownAlgorithmWithoutDownloading_ART03() throws Exception {
        catalog("\"digest\":\"sha1:" + hex("SHA-1", disk) + "\"");

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                () -> store(Clock.systemUTC()).resolve("t:1", events::add));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("unknown digest algorithm 'sha1'");
        assertThat(server.requestsFor("/img/disk.raw")).isZero();
        assertThat(cacheFiles()).isEmpty();
    }

    @Test
    void resolve_unchangedCachedFileIsNotHashedAgain() throws Exception {
        catalog("\"digest\":\"sha512:" + hex("SHA-512", disk) + "\"");
        store(later()).resolve("t:1", ProgressListener.NONE);

        BaseImage again = store(later()).resolve("t:1", events::add);

        assertThat(verifications()).as("full hashes of an unchanged cached file").isZero();
        assertThat(Files.readAllBytes(again.disk())).isEqualTo(disk);
        assertThat(server.requestsFor("/img/disk.raw")).isEqualTo(1);
    }

    @Test
    void resolve_freshStampIsRacySoAnImmediateInPlaceChangeIsStillCaught_ART05() throws Exception {
        catalog("\"digest\":\"sha512:" + hex("SHA-512", disk) + "\"");
        BaseImage first = store(Clock.systemUTC()).resolve("t:1", ProgressListener.NONE);
        FileTime mtime = Files.getLastModifiedTime(first.disk());
        first.disk().toFile().setWritable(true);
        byte[] tampered = disk.clone();
        tampered[777] ^= 1;
        Files.write(first.disk(), tampered);
        Files.setLastModifiedTime(first.disk(), mtime);

        BaseImage again = store(Clock.systemUTC()).resolve("t:1", events::add);

        assertThat(Files.readAllBytes(again.disk())).isEqualTo(disk);
        assertThat(events).anySatisfy(ev -> assertThat(ev.message()).contains("no longer matches"));
        assertThat(server.requestsFor("/img/disk.raw")).isEqualTo(2);
    }

    @Test
    void resolve_replacedCachedFileWithSameSizeAndMtimeIsCaught_ART05() throws Exception {
        catalog("\"digest\":\"sha512:" + hex("SHA-512", disk) + "\"");
        BaseImage first = store(later()).resolve("t:1", ProgressListener.NONE);
        FileTime mtime = Files.getLastModifiedTime(first.disk());
        byte[] tampered = disk.clone();
        tampered[4242] ^= 1;
        Path evil = home.resolve("evil");
        Files.write(evil, tampered);
        Files.setLastModifiedTime(evil, mtime);
        Files.move(evil, first.disk(), StandardCopyOption.REPLACE_EXISTING);

        BaseImage again = store(later()).resolve("t:1", events::add);

        assertThat(Files.readAllBytes(again.disk())).isEqualTo(disk);
        assertThat(events).anySatisfy(ev -> assertThat(ev.message()).contains("no longer matches"));
    }

    @Test
    void resolve_verifyAlwaysHashesEveryUse() throws Exception {
        catalog("\"digest\":\"sha512:" + hex("SHA-512", disk) + "\"");
        new ImageStore(home, List.of(server.uri("/img/catalog.json")), http, true, later()).resolve("t:1", ProgressListener.NONE);

        new ImageStore(home, List.of(server.uri("/img/catalog.json")), http, true, later()).resolve("t:1", events::add);

        assertThat(verifications()).isEqualTo(1);
    }

    @Test
    void resolve_symlinkPlantedInTheCacheIsNeverFollowed() throws Exception {
        catalog("\"digest\":\"sha512:" + hex("SHA-512", disk) + "\"");
        Path target = home.resolve("cache/images/sha512-" + hex("SHA-512", disk));
        Files.createDirectories(target.getParent());
        Path outside = home.resolve("outside.raw");
        Files.write(outside, disk);
        Files.createSymbolicLink(target, outside);

        BaseImage img = store(Clock.systemUTC()).resolve("t:1", events::add);

        assertThat(Files.isSymbolicLink(img.disk())).isFalse();
        assertThat(Files.readAllBytes(outside)).as("the link's target is untouched").isEqualTo(disk);
        assertThat(server.requestsFor("/img/disk.raw")).isEqualTo(1);
    }

    static String hex(String algo, byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algo).digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

}
