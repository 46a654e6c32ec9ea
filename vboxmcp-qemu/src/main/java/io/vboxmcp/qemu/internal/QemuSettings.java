package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.qemu.QemuKeys;
import io.vboxmcp.spi.ProviderContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The driver's configuration, read once from the provider context ({@link QemuKeys}).
 *
 * @param qemu            emulator command
 * @param qemuImg         disk tool command
 * @param isoTool         seed ISO tool command
 * @param accel           {@code auto}, {@code kvm} or {@code tcg}
 * @param kvmDevice       the KVM device the probe checks first
 * @param kvmProbeTimeout how long the KVM probe guest may take
 * @param powerdownGrace  default grace for {@code stop}
 * @param quitTimeout     how long QEMU may take to exit after {@code quit}
 * @param qmpTimeout      deadline of one QMP exchange
 * @param startTimeout    how long {@code qemu -daemonize} may take to come up
 * @param machine         machine type
 * @param portLockDir     where port lock files live (shared by all processes of this user)
 * @param runtimeDir      short-path folder for QMP sockets of deep VM folders
 * @param progress        fallback listener
 */
record QemuSettings(String qemu, String qemuImg, String isoTool, String accel, Path kvmDevice, Duration kvmProbeTimeout,
                    Duration powerdownGrace, Duration quitTimeout, Duration qmpTimeout, Duration startTimeout,
                    String machine, Path portLockDir, Path runtimeDir, ProgressListener progress) {

    static QemuSettings from(ProviderContext ctx) throws HypervisorException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_-]", "_");
        Path runtime = tmp.resolve("vboxmcp-" + user);
        String accel = ctx.config(QemuKeys.ACCEL).orElse("auto").trim().toLowerCase(Locale.ROOT);
        if (!accel.equals("auto") && !accel.equals("kvm") && !accel.equals("tcg")) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, QemuKeys.ACCEL + " must be auto, kvm or tcg, not "
                    + accel, null);
        }
        return new QemuSettings(
                ctx.config(QemuKeys.BINARY).orElse("qemu-system-x86_64"),
                ctx.config(QemuKeys.IMG_BINARY).orElse("qemu-img"),
                ctx.config(QemuKeys.ISO_BINARY).orElseGet(() -> SeedIso.findTool().orElse("genisoimage")),
                accel,
                Path.of("/dev/kvm"),
                millis(ctx.config(QemuKeys.KVM_PROBE_TIMEOUT), QemuKeys.KVM_PROBE_TIMEOUT, 4000),
                millis(ctx.config(QemuKeys.POWERDOWN_GRACE), QemuKeys.POWERDOWN_GRACE, 30000),
                millis(ctx.config(QemuKeys.QUIT_TIMEOUT), QemuKeys.QUIT_TIMEOUT, 5000),
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                ctx.config(QemuKeys.MACHINE).orElse("q35"),
                runtime.resolve("ports"),
                runtime,
                ctx.progress());
    }

    private static Duration millis(Optional<String> v, String key, long def) throws HypervisorException {
        if (v.isEmpty()) {
            return Duration.ofMillis(def);
        }
        try {
            long ms = Long.parseLong(v.get().trim());
            if (ms < 0) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, key + " must be a number of milliseconds, not "
                    + v.get(), null);
        }
    }
}
