package io.vboxmcp.core.internal.manager;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Base images that do not fit: over the cap (RES-05) or over the disk (RES-03). */
class ImageLimitsTest {
    @TempDir
    Path tmp;

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private Path catalog(byte[] disk, long declaredSize) throws Exception {
        Path images = Files.createDirectories(tmp.resolve("images"));
        Files.write(images.resolve("disk.qcow2"), disk);
        Path c = images.resolve("catalog.json");
        Files.writeString(c, "{\"catalogVersion\":1,\"images\":[{\"reference\":\"test-image:1\",\"disk\":{\"url\":"
                + "\"disk.qcow2\",\"format\":\"qcow2\",\"sha256\":\"" + sha256(disk) + "\",\"size\":" + declaredSize + "}}]}");
        return c;
    }

    private static void template(Path home) throws Exception {
        Path dir = Files.createDirectories(home.resolve("templates/demo/1.0.0"));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: demo\nversion: \"1.0.0\"\n"
                + "base_image: \"test-image:1\"\n");
    }

    private static List<Path> filesUnder(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".lock")).toList();
        }
    }

    @Test
    void create_imageDeclaringMoreThanTheCap_isRefusedBeforeAnyCopy_RES05() throws Exception {
        Path home = tmp.resolve("home");
        template(home);
        Path catalog = catalog("small".getBytes(), (64L << 30) + 1);
        RecordingHypervisorDriver driver = new RecordingHypervisorDriver();
        try (VmManager m = VmManager.builder().home(home).discoverProviders(false).addDriver(driver.factory())
                .property(CoreKeys.IMAGE_CATALOG, catalog.toUri().toString()).build()) {
            assertThatThrownBy(() -> m.createFromTemplate(CreateVmRequest.builder("vm1", TemplateRef.parse("demo@1.0.0"))
                    .build())).isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_LIMIT);
                        assertThat(e.step()).contains("image");
                    });
        }
        assertThat(filesUnder(home.resolve("cache/images"))).as("nothing copied").isEmpty();
        assertThat(driver.calls).isEmpty();
        assertThat(home.resolve("vms/vm1")).doesNotExist();
    }

    @Test
    void create_diskFillsWhileCopyingTheImage_leavesNoPartialFile_RES03() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        // a 2 MiB file system for the home: the 3 MiB image cannot fit (needs root to mount, as in CI)
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", home.toString())
                .redirectErrorStream(true).start();
        Assumptions.assumeTrue(mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0,
                "mounting a tmpfs needs root");
        try {
            template(home);
            byte[] disk = new byte[3 << 20];
            new Random(7).nextBytes(disk);
            Path catalog = catalog(disk, disk.length);
            RecordingHypervisorDriver driver = new RecordingHypervisorDriver();
            try (VmManager m = VmManager.builder().home(home).discoverProviders(false).addDriver(driver.factory())
                    .property(CoreKeys.IMAGE_CATALOG, catalog.toUri().toString()).build()) {
                // a 1 MB disk passes planning against the tiny file system: the copy is what does not fit
                assertThatThrownBy(() -> m.createFromTemplate(CreateVmRequest.builder("vm1",
                        TemplateRef.parse("demo@1.0.0")).diskSizeMb(1).build())).isInstanceOfSatisfying(VboxmcpException.class, e -> {
                            assertThat(e.code()).isEqualTo(ErrorCode.IO);
                            assertThat(e.step()).contains("image");
                            assertThat(e.getMessage()).contains("no space left");
                        });
            }
            assertThat(filesUnder(home.resolve("cache/images"))).as("no partial image left").isEmpty();
            assertThat(driver.calls).as("nothing was created").isEmpty();
            assertThat(home.resolve("vms/vm1")).doesNotExist();
            assertThat(Files.getFileStore(home).getUsableSpace()).as("the space is free again").isGreaterThan(1L << 20);
        } finally {
            new ProcessBuilder("umount", home.toString()).redirectErrorStream(true).start().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
