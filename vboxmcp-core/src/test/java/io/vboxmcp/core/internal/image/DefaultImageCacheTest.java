package io.vboxmcp.core.internal.image;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.image.CatalogImage;
import io.vboxmcp.image.ImageCache;
import io.vboxmcp.image.ImageListing;
import io.vboxmcp.image.PruneResult;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.Firmware;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Catalog order (user catalogs over the built-in one), listing, pulling and pruning the cache. */
class DefaultImageCacheTest {
    @TempDir
    Path home;
    @TempDir
    Path outside;

    private ImageStoreTest.ImageServer server;
    private final Map<String, String> config = new HashMap<>();
    private byte[] local;

    @BeforeEach
    void serve() throws Exception {
        local = new byte[700_001];
        new Random(22).nextBytes(local);
        server = new ImageStoreTest.ImageServer();
        server.files.put("/mirror/jammy.raw", local);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String entry(String reference, String url, byte[] content) {
        return "{\"reference\":\"" + reference + "\",\"description\":\"local " + reference + "\",\"disk\":{\"url\":\""
                + url + "\",\"format\":\"raw\",\"digest\":\"sha512:" + ImageVerificationTest.hex("SHA-512", content)
                + "\",\"size\":" + content.length + "}}";
    }

    private static String catalog(String... entries) {
        return "{\"catalogVersion\":1,\"images\":[" + String.join(",", entries) + "]}";
    }

    private ImageStore store() throws VboxmcpException {
        return ImageCatalogs.store(home, k -> Optional.ofNullable(config.get(k)));
    }

    private DefaultImageCache cache() throws VboxmcpException {
        return new DefaultImageCache(store(), home);
    }

    private static Map<String, CatalogImage> byRef(ImageListing l) {
        return l.images().stream().collect(Collectors.toMap(CatalogImage::reference, c -> c));
    }

    @Test
    void userCatalogOverridesABuiltinEntry_servedFromLoopback() throws Exception {
        server.files.put("/mirror/catalog.json", catalog(entry("ubuntu:22.04", "jammy.raw", local))
                .getBytes(StandardCharsets.UTF_8));
        config.put(CoreKeys.IMAGE_CATALOG, server.uri("/mirror/catalog.json").toString());

        BaseImage img = cache().pull("ubuntu:22.04", ProgressListener.NONE);

        assertThat(Files.readAllBytes(img.disk())).isEqualTo(local);
        assertThat(server.requestsFor("/mirror/jammy.raw")).isEqualTo(1);
        Map<String, CatalogImage> listed = byRef(cache().list());
        assertThat(listed.get("ubuntu:22.04").catalog()).isEqualTo(server.uri("/mirror/catalog.json"));
        assertThat(listed.get("ubuntu:22.04").cached()).isTrue();
        assertThat(listed.get("ubuntu:22.04").cachedBytes()).isEqualTo(local.length);
        assertThat(listed.get("debian:12").catalog()).isEqualTo(ImageCache.BUILTIN_CATALOG);
        assertThat(listed.get("debian:12").cached()).isFalse();
        assertThat(listed.get("alpine:3.22").firmware()).isEqualTo(Firmware.UEFI);
        assertThat(listed).hasSize(9);
    }

    @Test
    void configuredCatalogWinsOverHomeCatalogWhichWinsOverBuiltin() throws Exception {
        byte[] other = "home copy".getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(home.resolve("images"));
        Files.write(home.resolve("images/other.raw"), other);
        Files.writeString(home.resolve("images/catalog.json"), catalog(entry("ubuntu:22.04", "other.raw", other),
                entry("debian:12", "other.raw", other)));
        server.files.put("/mirror/catalog.json", catalog(entry("ubuntu:22.04", "jammy.raw", local))
                .getBytes(StandardCharsets.UTF_8));
        config.put(CoreKeys.IMAGE_CATALOG, server.uri("/mirror/catalog.json").toString());

        assertThat(Files.readAllBytes(cache().pull("ubuntu:22.04", ProgressListener.NONE).disk())).isEqualTo(local);
        assertThat(Files.readAllBytes(cache().pull("debian:12", ProgressListener.NONE).disk())).isEqualTo(other);
        assertThat(byRef(cache().list()).get("debian:12").catalog()).isEqualTo(home.resolve("images/catalog.json").toUri());
    }

    @Test
    void defaultsOff_noBuiltinEntryIsKnown() throws Exception {
        config.put(CoreKeys.IMAGE_CATALOG_DEFAULTS, "false");

        assertThat(cache().list().images()).isEmpty();
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                () -> cache().pull("ubuntu:22.04", ProgressListener.NONE));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("known: (none)");

        config.put(CoreKeys.IMAGE_CATALOG_DEFAULTS, "no");
        VboxmcpException bad = catchThrowableOfType(VboxmcpException.class, this::store);
        assertThat(bad.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(bad.getMessage()).contains(CoreKeys.IMAGE_CATALOG_DEFAULTS);
    }

    @Test
    void list_namesUnreachableCatalogsAsProblems() throws Exception {
        config.put(CoreKeys.IMAGE_CATALOG, server.uri("/nothing-here.json").toString());

        ImageListing l = cache().list();

        assertThat(l.problems()).singleElement().asString().contains("nothing-here.json");
        assertThat(l.images()).hasSize(9);
    }

    @Test
    void prune_deletesOnlyUnreferencedAndStaleFiles_keepsWhatVmsUse() throws Exception {
        config.put(CoreKeys.IMAGE_CATALOG_DEFAULTS, "false");
        byte[] gone = "an image no catalog lists any more".getBytes(StandardCharsets.UTF_8);
        byte[] used = new byte[1 << 20];
        Files.createDirectories(home.resolve("images"));
        Files.write(home.resolve("images/jammy.raw"), local);
        Files.write(home.resolve("images/gone.raw"), gone);
        Files.write(home.resolve("images/used.raw"), used);
        Files.writeString(home.resolve("images/catalog.json"), catalog(entry("keep:1", "jammy.raw", local),
                entry("gone:1", "gone.raw", gone), entry("used:1", "used.raw", used)));
        Path kept = cache().pull("keep:1", ProgressListener.NONE).disk();
        Path unreferenced = cache().pull("gone:1", ProgressListener.NONE).disk();
        Path inUse = cache().pull("used:1", ProgressListener.NONE).disk();
        Files.writeString(home.resolve("images/catalog.json"), catalog(entry("keep:1", "jammy.raw", local)));
        Path vm = Files.createDirectories(home.resolve("vms/dev"));
        DiskFormatTest.qemuImg(vm, "create", "-q", "-f", "qcow2", "-b", inUse.toString(), "-F", "raw", "disk.qcow2");
        Path cacheDir = kept.getParent();
        Path stalePart = Files.write(cacheDir.resolve("sha256-" + "1".repeat(64) + ".part"), new byte[1000]);
        Files.setLastModifiedTime(stalePart, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
        Path freshPart = Files.write(cacheDir.resolve("sha256-" + "2".repeat(64) + ".part"), new byte[10]);
        Path victim = Files.write(outside.resolve("victim"), gone);
        Path link = Files.createSymbolicLink(cacheDir.resolve("sha256-" + "3".repeat(64)), victim);
        Path foreign = Files.writeString(cacheDir.resolve("notes.txt"), "mine");
        Path orphanStamp = Files.writeString(cacheDir.resolve(".verified/sha256-" + "4".repeat(64)), "stat=1");

        PruneResult r = cache().prune(false);

        assertThat(r.removed()).containsExactlyInAnyOrder(unreferenced, stalePart);
        assertThat(r.freedBytes()).isEqualTo(gone.length + 1000L);
        assertThat(r.kept()).containsExactly(inUse);
        assertThat(kept).exists();
        assertThat(inUse).exists();
        assertThat(freshPart).exists();
        assertThat(link).isSymbolicLink();
        assertThat(victim).hasBinaryContent(gone);
        assertThat(foreign).exists();
        assertThat(store().stamps().sidecar(unreferenced)).doesNotExist();
        assertThat(orphanStamp).as("a stamp whose file is gone").doesNotExist();
        assertThat(store().stamps().sidecar(kept)).exists();

        PruneResult all = cache().prune(true);

        assertThat(all.removed()).containsExactlyInAnyOrder(kept, freshPart);
        assertThat(all.kept()).containsExactly(inUse);
        assertThat(link).isSymbolicLink();
        assertThat(victim).hasBinaryContent(gone);
        assertThat(foreign).exists();
    }

    @Test
    void prune_refusesWhileACatalogIsUnreachable() throws Exception {
        server.files.put("/mirror/catalog.json", catalog(entry("ubuntu:22.04", "jammy.raw", local))
                .getBytes(StandardCharsets.UTF_8));
        config.put(CoreKeys.IMAGE_CATALOG, server.uri("/mirror/catalog.json").toString());
        Path cached = cache().pull("ubuntu:22.04", ProgressListener.NONE).disk();
        server.files.remove("/mirror/catalog.json");

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> cache().prune(false));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE);
        assertThat(e.getMessage()).contains("not pruning");
        assertThat(cached).exists();
    }
}
