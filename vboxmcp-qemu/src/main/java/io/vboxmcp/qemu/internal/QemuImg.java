package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.BaseImage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** {@code qemu-img}: the base image's virtual size and the machine's copy-on-write overlay on it. */
final class QemuImg {
    private final String qemuImg;

    QemuImg(String qemuImg) {
        this.qemuImg = qemuImg;
    }

    /** @return the base image's format as qemu names it; refuses formats QEMU cannot boot directly */
    static String format(BaseImage image) throws HypervisorException {
        String f = image.diskFormat().toLowerCase(Locale.ROOT);
        return switch (f) {
            case "qcow2", "raw", "vmdk", "vdi", "vhdx" -> f;
            default -> throw new HypervisorException(ErrorCode.INVALID_ARGUMENT,
                    "QEMU cannot boot a " + image.diskFormat() + " base image directly", null);
        };
    }

    /** @return the base image's virtual disk size in bytes */
    long virtualSize(BaseImage image) throws VboxmcpException {
        String out = HostCommand.run(List.of(qemuImg, "info", "-U", "--output=json", "-f", format(image),
                image.disk().toAbsolutePath().toString()), Duration.ofSeconds(30), "qemu-img info");
        try {
            return ((Number) Json.parseObject(out).get("virtual-size")).longValue();
        } catch (IOException | RuntimeException e) {
            throw new HypervisorException("qemu-img info gave no virtual size for " + image.disk(), e);
        }
    }

    /** Creates {@code disk}, a qcow2 overlay of {@code size} bytes backed by the (never written) base image. */
    void createOverlay(BaseImage image, Path disk, long size) throws HypervisorException {
        HostCommand.run(List.of(qemuImg, "create", "-q", "-f", "qcow2", "-b", image.disk().toAbsolutePath().toString(),
                "-F", format(image), disk.toString(), Long.toString(size)), Duration.ofSeconds(60), "qemu-img create");
    }

    /** Creates {@code disk}, a qcow2 overlay of {@code size} bytes over {@code backing}, a qcow2 (a frozen snapshot disk). */
    void createOverlayOn(Path backing, Path disk, long size) throws HypervisorException {
        HostCommand.run(List.of(qemuImg, "create", "-q", "-f", "qcow2", "-b", backing.toAbsolutePath().toString(),
                "-F", "qcow2", disk.toString(), Long.toString(size)), Duration.ofSeconds(60), "qemu-img create");
    }
}
