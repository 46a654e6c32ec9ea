package io.vboxmcp.spi;

/**
 * The firmware a base image boots with, as its image catalog declares it.
 *
 * @since 0.2.0
 */
public enum Firmware {
    /** Legacy BIOS only (QEMU's SeaBIOS, VirtualBox's default). */
    BIOS,
    /** UEFI only (QEMU with OVMF, VirtualBox with {@code --firmware efi}). */
    UEFI,
    /** The image boots either way; drivers use BIOS, their faster default. */
    ANY;

    /** @return whether a driver must start the machine with UEFI firmware */
    public boolean requiresUefi() {
        return this == UEFI;
    }
}
