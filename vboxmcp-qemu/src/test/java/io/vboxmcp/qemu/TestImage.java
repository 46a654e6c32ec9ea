package io.vboxmcp.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.Firmware;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The test guest image: from {@code VBOXMCP_TEST_IMAGE_CATALOG} (a catalog JSON file) if set, else built (or
 * taken from its content-addressed cache) by {@code scripts/build-test-image.sh}. Nothing is committed.
 */
public final class TestImage {
    private static volatile Path catalog;

    private TestImage() {
    }

    /** @return the catalog file of the test image */
    public static synchronized Path catalog() throws IOException, InterruptedException {
        if (catalog != null) {
            return catalog;
        }
        String env = System.getenv("VBOXMCP_TEST_IMAGE_CATALOG");
        if (env != null && !env.isBlank()) {
            catalog = Path.of(env.startsWith("file:") ? java.net.URI.create(env).getPath() : env);
            return catalog;
        }
        Path script = repoRoot().resolve("scripts/build-test-image.sh");
        Path log = Files.createTempFile("build-test-image", ".log");
        try {
            Process p = new ProcessBuilder("bash", script.toString()).redirectError(log.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("scripts/build-test-image.sh failed: " + Files.readString(log));
            }
            String[] lines = out.split("\n");
            catalog = Path.of(lines[lines.length - 1].trim());
            return catalog;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** @return the image's first entry as a BaseImage pointing at the built files (for driver tests) */
    public static BaseImage baseImage() throws IOException, InterruptedException {
        Path cat = catalog();
        JsonNode img = new ObjectMapper().readTree(cat.toFile()).path("images").get(0);
        Path dir = cat.getParent();
        return new BaseImage(img.path("reference").asText(), dir.resolve(img.path("disk").path("url").asText()),
                img.path("disk").path("format").asText(), "sha256:" + img.path("disk").path("sha256").asText(),
                dir.resolve(img.path("kernel").path("url").asText()), dir.resolve(img.path("initrd").path("url").asText()),
                img.path("kernelArgs").asText());
    }

    private static volatile BaseImage uefi;

    /**
     * The test image as a disk that boots only under UEFI, like a cloud image with its own boot loader: GPT with
     * an EFI system partition (syslinux.efi as {@code EFI/BOOT/BOOTX64.EFI}, the kernel and initrd) and the ext4
     * root, made by {@code src/test/resources/make-uefi-disk.sh} once per JVM. No kernel in the BaseImage.
     */
    public static synchronized BaseImage uefiBaseImage() throws IOException, InterruptedException {
        if (uefi != null) {
            return uefi;
        }
        BaseImage bios = baseImage();
        Path dir = Files.createTempDirectory("vboxmcp-uefi-image");
        dir.toFile().deleteOnExit();
        Path disk = dir.resolve("disk.qcow2");
        Path script = repoRoot().resolve("vboxmcp-qemu/src/test/resources/make-uefi-disk.sh");
        String args = bios.kernelArgs().replaceAll("(^| )root=\\S+", "");
        Process p = new ProcessBuilder("bash", script.toString(), bios.kernel().toString(), bios.initrd().toString(),
                bios.disk().toString(), args, disk.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("make-uefi-disk.sh failed: " + out);
        }
        disk.toFile().deleteOnExit();
        String digest;
        try (var in = Files.newInputStream(disk)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            in.transferTo(new java.security.DigestOutputStream(java.io.OutputStream.nullOutputStream(), md));
            digest = "sha256:" + java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        uefi = new BaseImage("vboxmcp-test-uefi:1", disk, "qcow2", digest, null, null, null, Firmware.UEFI);
        return uefi;
    }

    /** The reactor root: the first parent holding {@code scripts/build-test-image.sh}. */
    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/build-test-image.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find scripts/build-test-image.sh above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
