package io.vboxmcp.virtualbox;

/**
 * Configuration keys of the VirtualBox driver (driver id {@code virtualbox}). Values come from
 * {@link io.vboxmcp.spi.ProviderContext#config(String)}: the manager builder, then system properties
 * {@code vboxmcp.<key>}, then the environment.
 *
 * @since 0.2.0
 */
public final class VirtualBoxKeys {
    /**
     * Which adapter drives VirtualBox: {@code vboxmanage} (default, supported) runs the local {@code VBoxManage};
     * {@code webservice} (experimental) talks SOAP to a {@code vboxwebsrv} at {@link #WS_URL}.
     */
    public static final String ADAPTER = "virtualbox.adapter";

    /**
     * Path of {@code VBoxManage}. Default: {@code VBoxManage} on {@code PATH}, then {@code %VBOX_MSI_INSTALL_PATH%},
     * {@code %VBOX_INSTALL_PATH%}, {@code /usr/bin}, {@code /usr/local/bin}, the macOS app bundle and
     * {@code C:\Program Files\Oracle\VirtualBox}.
     */
    public static final String VBOXMANAGE = "virtualbox.vboxmanage";

    /** Seconds an ordinary VBoxManage command may run before it is killed. Integer, default {@code 120}. */
    public static final String COMMAND_TIMEOUT = "virtualbox.commandTimeoutSeconds";

    /** Seconds an import, clone, disk copy or start may run. Integer, default {@code 1800}. */
    public static final String LONG_COMMAND_TIMEOUT = "virtualbox.longCommandTimeoutSeconds";

    /**
     * Folder under which each VM's VirtualBox folder ({@code <baseFolder>/<vm name>/}) is created. Default: the VM's
     * own vboxmcp folder ({@code <home>/vms/<name>}).
     */
    public static final String BASE_FOLDER = "virtualbox.baseFolder";

    /**
     * Folder holding the master VMs (one per base-image digest, with snapshot {@code base}) that VMs are linked
     * clones of. Default: {@code <home>/cache/virtualbox/masters}.
     */
    public static final String MASTER_FOLDER = "virtualbox.masterFolder";

    /**
     * {@code true} (default): VMs are linked clones of the master (created in about a second, as Vagrant's
     * {@code linked_clone}); {@code false}: full clones. A VM whose planned disk is larger than the master's is always
     * a full clone, because only a full clone's disk is resized.
     */
    public static final String LINKED_CLONES = "virtualbox.linkedClones";

    /**
     * Path or command name of {@code qemu-img}, which converts qcow2 and raw base images (VirtualBox reads neither)
     * to VDI once per image digest. Default {@code qemu-img} on {@code PATH} (Debian package {@code qemu-utils}).
     */
    public static final String QEMU_IMG = "virtualbox.qemuImg";

    /** Folder holding the VDI conversions, one {@code <alg>-<hex>.vdi} per image digest. Default: {@code <home>/cache/virtualbox/vdi}. */
    public static final String VDI_FOLDER = "virtualbox.vdiFolder";

    /** Experimental web-service adapter: the {@code vboxwebsrv} URL, for example {@code http://127.0.0.1:18083/}. */
    public static final String WS_URL = "virtualbox.ws.url";

    /** Experimental web-service adapter: logon user (empty if {@code vboxwebsrv} uses the {@code null} auth library). */
    public static final String WS_USER = "virtualbox.ws.user";

    /** Experimental web-service adapter: logon password. Sent in clear text unless {@link #WS_URL} is https. */
    public static final String WS_PASSWORD = "virtualbox.ws.password";

    /**
     * Experimental web-service adapter: name of the registered VM (on the server) to clone, with a snapshot named
     * {@code base}. Default: {@code vboxmcp-master-<first 16 hex digits of the image digest>}, the name the
     * VBoxManage adapter gives its masters.
     */
    public static final String WS_MASTER = "virtualbox.ws.master";

    private VirtualBoxKeys() {
    }
}
