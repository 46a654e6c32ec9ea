package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.qemu.QemuKeys;
import io.vboxmcp.spi.BaseImage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The firmware a QEMU machine starts with. Images with their own kernel are booted directly (SeaBIOS, the
 * fastest); images that boot from their disk get SeaBIOS unless they need UEFI ({@code firmware: uefi} in the
 * catalog, or {@link QemuKeys#FIRMWARE}{@code =uefi}), in which case QEMU gets OVMF as two pflash drives: the
 * code read-only, and a writable copy of the variable store in the VM folder (boot entries a guest writes stay
 * with that VM and go with {@code destroy}). The choice is recorded in {@code machine.json}, so a start from
 * another process boots the same way.
 */
final class BootFirmware {
    static final String BIOS = "bios";
    static final String UEFI = "uefi";
    /** The VM's own copy of the UEFI variable store. */
    static final String VARS = "efivars.fd";

    private BootFirmware() {
    }

    /** @return {@link #BIOS} or {@link #UEFI}; fails when UEFI is needed and OVMF is missing */
    static String choose(QemuSettings s, BaseImage image) throws HypervisorException {
        if (image.kernel() != null) {
            return BIOS;
        }
        boolean uefi = switch (s.firmware()) {
            case UEFI -> true;
            case BIOS -> {
                if (image.firmware().requiresUefi()) {
                    throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "base image " + image.reference()
                            + " boots only with UEFI, but " + QemuKeys.FIRMWARE + "=bios", null);
                }
                yield false;
            }
            default -> image.firmware().requiresUefi();
        };
        if (uefi) {
            requireOvmf(s.ovmfCode(), s.ovmfVars(), image.reference());
        }
        return uefi ? UEFI : BIOS;
    }

    /** Copies the variable store template into the VM folder. */
    static void prepare(QemuSettings s, Path vmDir) throws IOException {
        Files.copy(s.ovmfVars(), vmDir.resolve(VARS), StandardCopyOption.REPLACE_EXISTING);
    }

    /** @return the OVMF code file {@code machine.json} records for this firmware, null for BIOS */
    static String ovmfCode(String firmware, QemuSettings s) {
        return UEFI.equals(firmware) ? s.ovmfCode().toAbsolutePath().toString() : null;
    }

    /** @return the pflash drives of a UEFI machine, nothing for BIOS (machines written before firmware existed too) */
    static List<String> args(MachineRecord m, Path vmDir) throws HypervisorException {
        if (!UEFI.equals(m.firmware())) {
            return List.of();
        }
        Path code = Path.of(m.ovmfCode());
        Path vars = vmDir.resolve(VARS);
        requireOvmf(code, vars, m.image());
        return List.of("-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + QemuCommandLine.opt(code.toString()),
                "-drive", "if=pflash,format=raw,unit=1,file=" + QemuCommandLine.opt(vars.toString()));
    }

    private static void requireOvmf(Path code, Path vars, String image) throws HypervisorException {
        for (Path p : List.of(code, vars)) {
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                throw new HypervisorException(ErrorCode.HYPERVISOR, "base image " + image + " boots with UEFI, but the "
                        + "UEFI firmware file " + p + " is missing; install the Debian package 'ovmf' or set "
                        + QemuKeys.OVMF_CODE + " and " + QemuKeys.OVMF_VARS, null);
            }
        }
    }
}
