package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.qemu.QemuKeys;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.support.DriverSettings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The driver's configuration, read once from the provider context ({@link QemuKeys}).
 *
 * @param qemu            emulator command
 * @param qemuImg         disk tool command
 * @param accel           {@code auto}, {@code kvm} or {@code tcg}
 * @param kvmDevice       the KVM device the probe checks first
 * @param kvmProbeTimeout how long the KVM probe guest may take
 * @param powerdownGrace  default grace for {@code stop}
 * @param quitTimeout     how long QEMU may take to exit after {@code quit}
 * @param qmpTimeout      deadline of one QMP exchange
 * @param startTimeout    how long {@code qemu -daemonize} may take to come up
 * @param machine         machine type
 * @param kvmProbeKernel  {@link QemuKeys#KVM_PROBE_KERNEL}, null if not set
 * @param kvmProbeCache   where the KVM probe's answer is kept for the host's boot
 * @param bootIdFile      the host's boot id ({@code /proc/sys/kernel/random/boot_id})
 * @param firmware        {@code auto}, {@code bios} or {@code uefi}
 * @param ovmfCode        the UEFI firmware code (read-only pflash)
 * @param ovmfVars        the UEFI variable store template each UEFI VM gets a copy of
 * @param runtimeDir      short-path folder for QMP sockets of deep VM folders
 * @param progress        fallback listener
 * @param network         guest network isolation for new machines
 */
record QemuSettings(String qemu, String qemuImg, String accel, Path kvmDevice, Duration kvmProbeTimeout,
                    Duration powerdownGrace, Duration quitTimeout, Duration qmpTimeout, Duration startTimeout,
                    String machine, Path kvmProbeKernel, Path kvmProbeCache, Path bootIdFile, String firmware,
                    Path ovmfCode, Path ovmfVars, Path runtimeDir, ProgressListener progress,
                    NetworkSettings network) {

    static final String DEFAULT_OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    static final String DEFAULT_OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd";

    /** {@code ${XDG_CACHE_HOME:-~/.cache}/vboxmcp/kvm-probe.json}: per user, not per vboxmcp home (it is about the host). */
    static Path userCacheFile() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("vboxmcp").resolve("kvm-probe.json");
    }

    static QemuSettings from(ProviderContext ctx) throws HypervisorException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_-]", "_");
        Path runtime = tmp.resolve("vboxmcp-" + user);
        String accel = ctx.config(QemuKeys.ACCEL).orElse("auto").trim().toLowerCase(Locale.ROOT);
        if (!accel.equals("auto") && !accel.equals("kvm") && !accel.equals("tcg")) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, QemuKeys.ACCEL + " must be auto, kvm or tcg, not "
                    + accel, null);
        }
        String firmware = ctx.config(QemuKeys.FIRMWARE).orElse("auto").trim().toLowerCase(Locale.ROOT);
        if (!firmware.equals("auto") && !firmware.equals("bios") && !firmware.equals("uefi")) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, QemuKeys.FIRMWARE + " must be auto, bios or uefi, not "
                    + firmware, null);
        }
        Path probeKernel = ctx.config(QemuKeys.KVM_PROBE_KERNEL).filter(v -> !v.isBlank()).map(v -> Path.of(v.trim()))
                .orElse(null);
        if (probeKernel != null && !(Files.isRegularFile(probeKernel) && Files.isReadable(probeKernel))) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, QemuKeys.KVM_PROBE_KERNEL + " names "
                    + probeKernel + ", which is not a readable file", null);
        }
        return new QemuSettings(
                ctx.config(QemuKeys.BINARY).orElse("qemu-system-x86_64"),
                ctx.config(QemuKeys.IMG_BINARY).orElse("qemu-img"),
                accel,
                Path.of("/dev/kvm"),
                DriverSettings.millis(ctx, QemuKeys.KVM_PROBE_TIMEOUT, 4000),
                DriverSettings.millis(ctx, QemuKeys.POWERDOWN_GRACE, 30000),
                DriverSettings.millis(ctx, QemuKeys.QUIT_TIMEOUT, 5000),
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                ctx.config(QemuKeys.MACHINE).orElse("q35"),
                probeKernel,
                ctx.config(QemuKeys.KVM_PROBE_CACHE).filter(v -> !v.isBlank()).map(v -> Path.of(v.trim()))
                        .orElseGet(QemuSettings::userCacheFile),
                Path.of("/proc/sys/kernel/random/boot_id"),
                firmware,
                Path.of(ctx.config(QemuKeys.OVMF_CODE).orElse(DEFAULT_OVMF_CODE).trim()),
                Path.of(ctx.config(QemuKeys.OVMF_VARS).orElse(DEFAULT_OVMF_VARS).trim()),
                runtime,
                ctx.progress(),
                NetworkSettings.from(ctx));
    }
}
