package io.vboxmcp.qemu;

/**
 * Configuration keys of the QEMU driver ({@code vboxmcp-qemu}). Each is read through the provider context: the
 * {@code VmManager} builder's properties, then the system property {@code vboxmcp.<key>}, then the environment
 * variable {@code VBOXMCP_<KEY>} (upper case, dots and dashes as underscores).
 *
 * @since 0.2.0
 */
public final class QemuKeys {
    /** Path or command name of the emulator. String, default {@code qemu-system-x86_64} (looked up on {@code PATH}). */
    public static final String BINARY = "qemu.binary";
    /** Path or command name of the disk tool. String, default {@code qemu-img}. */
    public static final String IMG_BINARY = "qemu.img";
    /**
     * Acceleration: {@code auto} (KVM if a Linux kernel boots on it within {@link #KVM_PROBE_TIMEOUT}, else TCG),
     * {@code kvm} or {@code tcg}. String, default {@code auto}. The probe runs once per host boot and emulator
     * binary; its answer is kept in {@link #KVM_PROBE_CACHE}. Without a kernel to probe with (see
     * {@link #KVM_PROBE_KERNEL}) {@code auto} means TCG.
     */
    public static final String ACCEL = "qemu.accel";
    /** Milliseconds the KVM probe guest may take to boot before KVM is considered broken. Integer, default 4000. */
    public static final String KVM_PROBE_TIMEOUT = "qemu.kvm-probe-timeout";
    /**
     * A Linux kernel (bzImage) the KVM probe boots. String path, default unset: the image's kernel, else the kernel
     * of an earlier probe on this host boot, else the newest readable {@code /boot/vmlinuz*}.
     */
    public static final String KVM_PROBE_KERNEL = "qemu.kvm.probe-kernel";
    /**
     * File that keeps the KVM probe's answer for the rest of the host's boot (keyed by boot id, emulator binary and
     * probe kernel digest). String path, default {@code ${XDG_CACHE_HOME:-~/.cache}/vboxmcp/kvm-probe.json}.
     */
    public static final String KVM_PROBE_CACHE = "qemu.kvm.probe-cache";
    /**
     * Firmware for images that boot from their own boot loader: {@code auto} (UEFI when the image's catalog entry
     * says {@code firmware: uefi}, else BIOS), {@code uefi} (always UEFI) or {@code bios}. Images with a kernel of
     * their own are booted directly and ignore this. String, default {@code auto}.
     */
    public static final String FIRMWARE = "qemu.firmware";
    /** UEFI firmware code (OVMF), mapped read-only. String path, default {@code /usr/share/OVMF/OVMF_CODE_4M.fd} (Debian package {@code ovmf}). */
    public static final String OVMF_CODE = "qemu.ovmf.code";
    /**
     * UEFI variable store template matching {@link #OVMF_CODE}; each UEFI machine gets a writable copy in its VM
     * folder. String path, default {@code /usr/share/OVMF/OVMF_VARS_4M.fd}.
     */
    public static final String OVMF_VARS = "qemu.ovmf.vars";
    /**
     * Milliseconds {@code stop} waits after the ACPI power-down request when the caller gives no grace (a null
     * or negative duration); afterwards QEMU is told to quit over QMP. Integer, default 30000.
     */
    public static final String POWERDOWN_GRACE = "qemu.powerdown-grace";
    /** Milliseconds QEMU gets to exit after a QMP {@code quit} before it is killed (the last resort). Integer, default 5000. */
    public static final String QUIT_TIMEOUT = "qemu.quit-timeout";
    /** QEMU machine type. String, default {@code q35}. */
    public static final String MACHINE = "qemu.machine";
    /**
     * Isolates the guest's user networking ({@code restrict=on}): the guest reaches neither the host nor the outside
     * world, only the forwarded ports reach it (SSH included) and only the services of {@link #NETWORK_ALLOW} are
     * reachable from it. Recorded with the machine at create time, so a later start keeps it. Provisioning that downloads
     * packages fails under it unless its mirrors are allowed. {@code vboxmcp mcp} sets it when the policy says
     * {@code network: restricted}; {@code vboxmcp test} for restricted scenarios. Boolean, default false.
     */
    public static final String NETWORK_RESTRICT = "qemu.network.restrict";
    /**
     * Host services a restricted guest may still reach (its package mirrors): comma-separated {@code HOST:PORT}; the
     * guest reaches each at {@code 10.0.2.100:PORT} (QEMU refuses a guest forward on the host's usual address
     * {@code 10.0.2.2}, which a restricted guest cannot reach). Each connection is relayed by
     * {@link #NETWORK_RELAY}. String, default empty; only read when {@link #NETWORK_RESTRICT} is on.
     */
    public static final String NETWORK_ALLOW = "qemu.network.allow";
    /**
     * The address at which a restricted guest reaches the services of {@link #NETWORK_ALLOW} (each on its own port).
     * Not a key: callers that hand a restricted guest URLs of allowed services (package mirrors) write them with it.
     *
     * @since 0.3.0
     */
    public static final String NETWORK_ALLOW_GUEST_ADDRESS = "10.0.2.100";
    /**
     * The relay QEMU starts for each guest connection to a {@link #NETWORK_ALLOW} service ({@code guestfwd} with
     * {@code cmd:}; a {@code tcp:} chardev would carry one connection only). String, default {@code socat}.
     */
    public static final String NETWORK_RELAY = "qemu.network.relay";

    private QemuKeys() {
    }
}
