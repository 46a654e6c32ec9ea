package io.vboxmcp.libvirt;

/**
 * Configuration keys of the libvirt driver ({@code vboxmcp-libvirt}, driver id {@code libvirt}). Each is read through
 * the provider context: the {@code VmManager} builder's properties, then the system property {@code vboxmcp.<key>},
 * then the environment variable {@code VBOXMCP_<KEY>} (upper case, dots and dashes as underscores).
 */
public final class LibvirtKeys {
    /**
     * The libvirt connection URI: {@code qemu:///system} (the default), {@code qemu:///session},
     * {@code qemu+ssh://user@host/system}, {@code qemu+tls://host/system}. Only the {@code qemu} driver is accepted;
     * the {@code no_verify} parameter (which turns off SSH host key checking) is refused.
     */
    public static final String URI = "libvirt.uri";
    /**
     * The storage pool that holds base images, overlays, seeds and console logs. String, default {@code vboxmcp};
     * created as a {@code dir} pool at {@link #POOL_PATH} if the connection has no pool of that name.
     */
    public static final String POOL = "libvirt.pool";
    /** Target folder of the pool when the driver has to create it. String, default {@code /var/lib/libvirt/images/vboxmcp}. */
    public static final String POOL_PATH = "libvirt.pool-path";
    /**
     * The libvirt domain type: {@code qemu} (TCG, the default: KVM hangs guests on our build machines) or {@code kvm}.
     */
    public static final String DOMAIN_TYPE = "libvirt.domain-type";
    /** Machine type. String, default {@code q35}. */
    public static final String MACHINE = "libvirt.machine";
    /** Path or command name of {@code virsh} (Debian package {@code libvirt-clients}). Default {@code virsh}. */
    public static final String VIRSH = "libvirt.virsh";
    /** Milliseconds one ordinary {@code virsh} call may take (uploads get more, by size). Integer, default 60000. */
    public static final String TIMEOUT = "libvirt.timeout";
    /**
     * Milliseconds {@code stop} waits after the ACPI shutdown request when the caller gives no grace; afterwards the
     * domain is powered off ({@code virsh destroy}). Integer, default 30000.
     */
    public static final String POWERDOWN_GRACE = "libvirt.powerdown-grace";
    /**
     * When a shared base image volume that already exists in the pool is read back and checked against its size and
     * digest: {@code once-per-process} (the default: the first create of each process that uses it; a freshly
     * uploaded volume is always checked) or {@code every-use} (every create reads the whole image back, which over
     * a WAN costs the image's size each time).
     */
    public static final String VERIFY_BASE = "libvirt.verify-base";

    /**
     * For {@code qemu+ssh://} connections: the private key (unencrypted OpenSSH or PEM file) of the SSH jump through
     * the libvirt host, over which readiness, provisioning and the template's ports reach the guests (QEMU's forwards
     * bind on that host's loopback). Default: the URI's {@code keyfile} parameter, else the first of
     * {@code ~/.ssh/id_ed25519}, {@code id_ecdsa}, {@code id_rsa}. The user, host and port are the URI's.
     */
    public static final String SSH_IDENTITY = "libvirt.ssh-identity";
    /**
     * For {@code qemu+ssh://} connections: the known_hosts file that must already hold the libvirt host's key for the
     * SSH jump (an unknown or changed key is refused; nothing is ever added). Default: the URI's
     * {@code known_hosts} parameter, else {@code ~/.ssh/known_hosts}.
     */
    public static final String SSH_KNOWN_HOSTS = "libvirt.ssh-known-hosts";

    private LibvirtKeys() {
    }
}
