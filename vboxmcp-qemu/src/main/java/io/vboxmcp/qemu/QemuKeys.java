package io.vboxmcp.qemu;

/**
 * Configuration keys of the QEMU driver ({@code vboxmcp-qemu}). Each is read through the provider context: the
 * {@code VmManager} builder's properties, then the system property {@code vboxmcp.<key>}, then the environment
 * variable {@code VBOXMCP_<KEY>} (upper case, dots and dashes as underscores).
 */
public final class QemuKeys {
    /** Path or command name of the emulator. String, default {@code qemu-system-x86_64} (looked up on {@code PATH}). */
    public static final String BINARY = "qemu.binary";
    /** Path or command name of the disk tool. String, default {@code qemu-img}. */
    public static final String IMG_BINARY = "qemu.img";
    /**
     * Acceleration: {@code auto} (KVM if a probe guest boots on it within {@link #KVM_PROBE_TIMEOUT}, else TCG),
     * {@code kvm} or {@code tcg}. String, default {@code auto}. The probe runs once per JVM and binary.
     */
    public static final String ACCEL = "qemu.accel";
    /** Milliseconds the KVM probe guest may take to boot before KVM is considered broken. Integer, default 4000. */
    public static final String KVM_PROBE_TIMEOUT = "qemu.kvm-probe-timeout";
    /**
     * Milliseconds {@code stop} waits after the ACPI power-down request when the caller gives no grace (a null
     * or negative duration); afterwards QEMU is told to quit over QMP. Integer, default 30000.
     */
    public static final String POWERDOWN_GRACE = "qemu.powerdown-grace";
    /** Milliseconds QEMU gets to exit after a QMP {@code quit} before it is killed (the last resort). Integer, default 5000. */
    public static final String QUIT_TIMEOUT = "qemu.quit-timeout";
    /** QEMU machine type. String, default {@code q35}. */
    public static final String MACHINE = "qemu.machine";
    /** Command that writes the cloud-init seed ISO ({@code genisoimage}, {@code mkisofs} or {@code xorriso}). Default: the first found. */
    public static final String ISO_BINARY = "qemu.iso-tool";

    private QemuKeys() {
    }
}
