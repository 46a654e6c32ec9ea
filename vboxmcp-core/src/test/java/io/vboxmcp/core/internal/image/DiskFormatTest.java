package io.vboxmcp.core.internal.image;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.BaseImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Disk formats from real files made by {@code qemu-img}, and the qcow2 features that would read host files. */
class DiskFormatTest {
    @TempDir
    Path dir;
    @TempDir
    Path home;

    static void qemuImg(Path cwd, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("qemu-img"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
    }

    private Path create(String name, String format, String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("create", "-q", "-f", format));
        args.addAll(List.of(options));
        args.add(name);
        args.add("16M");
        qemuImg(dir, args.toArray(String[]::new));
        return dir.resolve(name);
    }

    @Test
    void check_namesTheFormatFromMagicBytesNotTheName() throws Exception {
        assertThat(DiskFormat.check("q", create("cloud.img", "qcow2"), null)).isEqualTo("qcow2");
        assertThat(DiskFormat.check("q", create("compat.img", "qcow2", "-o", "compat=0.10"), "qcow2")).isEqualTo("qcow2");
        assertThat(DiskFormat.check("m", create("disk.qcow2", "vmdk"), null)).isEqualTo("vmdk");
        assertThat(DiskFormat.check("v", create("disk.raw", "vdi"), "vdi")).isEqualTo("vdi");
        assertThat(DiskFormat.check("h", create("disk.vdi", "vhdx"), null)).isEqualTo("vhdx");
        assertThat(DiskFormat.check("r", create("disk.vmdk", "raw"), null)).isEqualTo("raw");
        Path empty = Files.createFile(dir.resolve("empty"));
        assertThat(DiskFormat.check("e", empty, null)).isEqualTo("raw");
    }

    @Test
    void check_refusesAFormatTheCatalogGetsWrong() throws Exception {
        Path qcow2 = create("disk.raw", "qcow2");

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> DiskFormat.check("x:1", qcow2, "raw"));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.IMAGE_INVALID);
        assertThat(e.getMessage()).contains("declared raw", "the file is qcow2");
    }

    @Test
    void check_refusesQcow2WithABackingFile() throws Exception {
        create("host-secret.raw", "raw");
        Path overlay = create("overlay.qcow2", "qcow2", "-b", dir.resolve("host-secret.raw").toString(), "-F", "raw");

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> DiskFormat.check("x:1", overlay, null));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.IMAGE_INVALID);
        assertThat(e.getMessage()).contains("backing file");
        assertThat(DiskFormat.qcow2BackingFile(overlay)).contains(dir.resolve("host-secret.raw").toString());
    }

    @Test
    void check_refusesQcow2WithAnExternalDataFile() throws Exception {
        Path img = create("ext.qcow2", "qcow2", "-o", "data_file=" + dir.resolve("ext.data"));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> DiskFormat.check("x:1", img, "qcow2"));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.IMAGE_INVALID);
        assertThat(e.getMessage()).contains("external data file");
    }

    @Test
    void check_refusesAVmdkDescriptorThatNamesExtentFiles() throws Exception {
        Path desc = create("flat.vmdk", "vmdk", "-o", "subformat=monolithicFlat");

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> DiskFormat.check("x:1", desc, null));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.IMAGE_INVALID);
        assertThat(e.getMessage()).contains("descriptor");
    }

    @Test
    void resolve_servedQcow2WithBackingFileIsRefusedAndNotCached() throws Exception {
        create("base.raw", "raw");
        Path overlay = create("overlay.qcow2", "qcow2", "-b", dir.resolve("base.raw").toString(), "-F", "raw");
        byte[] bytes = Files.readAllBytes(overlay);
        try (ImageStoreTest.ImageServer server = new ImageStoreTest.ImageServer()) {
            server.files.put("/d.qcow2", bytes);
            server.files.put("/catalog.json", ("{\"images\":[{\"reference\":\"evil:1\",\"disk\":{\"url\":\"d.qcow2\","
                    + "\"digest\":\"sha512:" + ImageVerificationTest.hex("SHA-512", bytes) + "\"}}]}")
                    .getBytes(StandardCharsets.UTF_8));
            ImageStore store = new ImageStore(home, List.of(server.uri("/catalog.json")),
                    HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build());

            VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                    () -> store.resolve("evil:1", ev -> { }));

            assertThat(e).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.IMAGE_INVALID);
            try (Stream<Path> s = Files.list(store.cacheDir())) {
                assertThat(s.filter(p -> !p.getFileName().toString().startsWith("."))).as("cache").isEmpty();
            }
        }
    }

    @Test
    void resolve_ubuntuStyleImgIsQcow2() throws Exception {
        Path img = create("ubuntu-22.04-server-cloudimg-amd64.img", "qcow2");
        byte[] bytes = Files.readAllBytes(img);
        Files.writeString(dir.resolve("catalog.json"), "{\"images\":[{\"reference\":\"u:1\",\"disk\":{\"url\":"
                + "\"ubuntu-22.04-server-cloudimg-amd64.img\",\"sha256\":\"" + ImageVerificationTest.hex("SHA-256", bytes)
                + "\"}}]}");
        ImageStore store = new ImageStore(home, List.of(dir.resolve("catalog.json").toUri()),
                HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build());

        BaseImage b = store.resolve("u:1", ev -> { });

        assertThat(b.diskFormat()).isEqualTo("qcow2");
    }
}
