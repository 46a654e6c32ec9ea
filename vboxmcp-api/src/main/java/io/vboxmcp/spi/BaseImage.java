package io.vboxmcp.spi;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A verified base image on the host, as resolved from a template's {@code base_image} through the image catalog.
 * The files are in the content-addressed cache and were re-verified just before the driver receives them;
 * drivers must never write to them (use an overlay or a clone).
 *
 * @param reference  the template's {@code base_image}, for example {@code ubuntu:22.04}, never null
 * @param disk       the disk image, never null
 * @param diskFormat {@code qcow2}, {@code raw}, {@code vmdk}, {@code vdi}, {@code vhdx} or {@code ova}, never null;
 *                   the core image cache determines it from the file's magic bytes, not from its name
 * @param digest     {@code sha256:<hex>} or {@code sha512:<hex>} of the disk image (lower-case hex), never null
 * @param kernel     a kernel for direct boot, null to boot from the disk's boot loader
 * @param initrd     an initial ramdisk for direct boot, may be null
 * @param kernelArgs kernel command line for direct boot, may be null
 * @param firmware   the firmware the disk's own boot loader needs (ignored for direct kernel boot), never null
 *
 * @since 0.2.0
 */
public record BaseImage(String reference, Path disk, String diskFormat, String digest, Path kernel, Path initrd,
                        String kernelArgs, Firmware firmware) {
    /**
     * Checks that the required components are not null.
     *
     * @param reference  the template's {@code base_image}, for example {@code ubuntu:22.04}, never null
     * @param disk       the disk image, never null
     * @param diskFormat {@code qcow2}, {@code raw}, {@code vmdk}, {@code vdi}, {@code vhdx} or {@code ova}, never null;
     *                   the core image cache determines it from the file's magic bytes, not from its name
     * @param digest     {@code sha256:<hex>} or {@code sha512:<hex>} of the disk image (lower-case hex), never null
     * @param kernel     a kernel for direct boot, null to boot from the disk's boot loader
     * @param initrd     an initial ramdisk for direct boot, may be null
     * @param kernelArgs kernel command line for direct boot, may be null
     * @param firmware   the firmware the disk's own boot loader needs (ignored for direct kernel boot), never null
     */
    public BaseImage {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(diskFormat, "diskFormat");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(firmware, "firmware");
    }

    /**
     * An image that boots with either firmware ({@link Firmware#ANY}).
     *
     * @param reference  the template's {@code base_image}, never null
     * @param disk       the disk image, never null
     * @param diskFormat the disk's format, never null
     * @param digest     {@code sha256:<hex>} or {@code sha512:<hex>} of the disk image, never null
     * @param kernel     a kernel for direct boot, null to boot from the disk's boot loader
     * @param initrd     an initial ramdisk for direct boot, may be null
     * @param kernelArgs kernel command line for direct boot, may be null
     */
    public BaseImage(String reference, Path disk, String diskFormat, String digest, Path kernel, Path initrd,
                     String kernelArgs) {
        this(reference, disk, diskFormat, digest, kernel, initrd, kernelArgs, Firmware.ANY);
    }
}
