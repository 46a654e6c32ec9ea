package io.vboxmcp.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VmPlan;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.qemu.internal.QemuDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.Firmware;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.testkit.StubProviderContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Debian 12 image ({@code vboxmcp-debian:12}, made by {@code scripts/build-debian-image.sh}: no kernel in the
 * catalog, syslinux on its own boot partition, {@code firmware: any}) booted by the driver from its disk, once
 * with SeaBIOS and once with OVMF ({@code qemu.firmware=uefi}), to SSH. The catalog comes from
 * {@code VBOXMCP_DEBIAN_IMAGE_CATALOG}, else from the script when the repository has it (it needs root and
 * Debian's mirrors; cached by content), else the test is skipped.
 */
@Tag("vm")
class QemuDebianImageTest {
    @TempDir
    Path work;

    static BaseImage debianImage() throws Exception {
        String env = System.getenv("VBOXMCP_DEBIAN_IMAGE_CATALOG");
        Path catalog;
        if (env != null && !env.isBlank()) {
            catalog = Path.of(env);
        } else {
            Path script = TestImage.repoRoot().resolve("scripts/build-debian-image.sh");
            Assumptions.assumeTrue(Files.isRegularFile(script),
                    "no scripts/build-debian-image.sh and no VBOXMCP_DEBIAN_IMAGE_CATALOG");
            Process p = new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            Assumptions.assumeTrue(p.waitFor(30, TimeUnit.MINUTES) && p.exitValue() == 0,
                    "build-debian-image.sh failed (it needs root and Debian's mirrors)");
            catalog = Path.of(out.substring(out.lastIndexOf('\n') + 1).trim());
        }
        JsonNode img = new ObjectMapper().readTree(catalog.toFile()).path("images").get(0);
        return new BaseImage(img.path("reference").asText(), catalog.getParent().resolve(img.path("disk").path("url").asText()),
                img.path("disk").path("format").asText(), "sha256:" + img.path("disk").path("sha256").asText(), null, null,
                null, Firmware.valueOf(img.path("firmware").asText("any").toUpperCase(Locale.ROOT)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bios", "uefi"})
    void debianImage_bootsFromItsOwnBootLoaderToSsh(String firmware) throws Exception {
        BaseImage image = debianImage();
        assertThat(image.kernel()).as("a cloud-style image: no kernel of its own in the catalog").isNull();
        SshKeys.SshKeyPair key = SshKeys.generate(Files.createDirectories(work.resolve("keys")), "debian-test");
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        ProgressListener listener = events::add;
        HypervisorDriver driver = new QemuDriverFactory().create(new StubProviderContext(work.resolve("home"),
                Map.of("qemu.firmware", firmware.equals("uefi") ? "uefi" : "auto")));
        TemplateDefinition t = new TemplateDefinition("debian", SemanticVersion.parse("1.0.0"), null, null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        VmPlan plan = new VmPlan("deb-" + firmware, t, "sha256:" + "0".repeat(64), null, "qemu", 1024, 2, 4096,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of());
        Path vmDir = Files.createDirectories(work.resolve("vms").resolve(plan.vmName()));
        Machine m = driver.create(new MachineSpec(plan, vmDir, image, key.publicKeyLine(), "root", "iid-deb-" + firmware,
                listener));
        try {
            assertThat(m.attributes()).containsEntry("firmware", firmware);
            long t0 = System.nanoTime();
            driver.start(m);
            try (SshGuestChannel ch = QemuUefiBootTest.ssh(driver, m, key, work.resolve("pins"), Duration.ofMinutes(6))) {
                long ms = Duration.ofNanos(System.nanoTime() - t0).toMillis();
                System.out.println("vboxmcp-debian:12 with " + firmware + " reached SSH after " + ms + " ms");
                ExecResult efi = ch.exec(GuestCommand.of("test -d /sys/firmware/efi && echo uefi || echo bios")
                        .withTimeout(Duration.ofSeconds(30)));
                assertThat(efi.stdout().trim()).isEqualTo(firmware);
                ExecResult host = ch.exec(GuestCommand.of("hostname").withTimeout(Duration.ofSeconds(30)));
                assertThat(host.stdout().trim()).as("cloud-init read the seed").isEqualTo("deb-" + firmware);
            }
            assertThat(events).anyMatch(e -> e.message() != null && e.message().startsWith("acceleration: "));
        } finally {
            driver.destroy(m);
        }
        assertThat(vmDir).doesNotExist();
    }
}
