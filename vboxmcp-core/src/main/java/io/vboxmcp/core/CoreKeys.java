package io.vboxmcp.core;

/**
 * Configuration keys of {@code vboxmcp-core}. Each is read from {@code VmManager.Builder.property(key, value)},
 * then the system property {@code vboxmcp.<key>}, then the environment variable {@code VBOXMCP_<KEY>} (upper case,
 * dots and dashes as underscores).
 *
 * @since 0.2.0
 */
public final class CoreKeys {
    /**
     * Comma-separated {@code file:} or {@code http(s):} URIs (or local paths) of image catalogs (JSON), consulted
     * first, in order. After them come {@code <home>/images/catalog.json} if it exists, then the catalog built into
     * vboxmcp; the first catalog listing a reference wins. See docs/image-catalog.md.
     */
    public static final String IMAGE_CATALOG = "image.catalog";
    /**
     * Whether the built-in catalog (ubuntu, debian, fedora, alpine, rocky, almalinux, archlinux cloud images from
     * their upstream hosts) is consulted after the user's catalogs. Boolean, default true; {@code false} for machines
     * that must never reach the Internet.
     */
    public static final String IMAGE_CATALOG_DEFAULTS = "image.catalog.defaults";
    /**
     * How a cached base image is checked at every use: {@code changed} (default) hashes it only if its size, mtime,
     * inode or ctime changed since it was last hashed; {@code always} hashes it in full every time.
     */
    public static final String IMAGE_VERIFY = "image.verify";
    /** Seconds a base-image download may receive nothing before it fails with TIMEOUT (integer, default 60). */
    public static final String IMAGE_IDLE_TIMEOUT = "image.download.idle-timeout";
    /** Seconds one base-image download may take in all (integer, default 21600 = 6 h). */
    public static final String IMAGE_TOTAL_TIMEOUT = "image.download.total-timeout";
    /** Seconds to wait for the guest's SSH after start. Integer, default 180. */
    public static final String READY_TIMEOUT = "ready.timeout";
    /** Default seconds a provisioning script may run when it names no timeout. Integer, default 1800. */
    public static final String SCRIPT_TIMEOUT = "script.timeout";
    /** Seconds a guest gets to power down before it is forced off. Integer, default 30. */
    public static final String STOP_GRACE = "stop.grace";
    /** Guest user the manager logs in as (it must be able to run commands as root). String, default {@code root}. */
    public static final String SSH_USER = "ssh.user";
    /** Seconds to wait for a lock held by another operation. Integer, default 10. */
    public static final String LOCK_TIMEOUT = "lock.timeout";
    /** Whether a failing audit write fails the operation (AUD-07). Boolean, default true. */
    public static final String AUDIT_FAIL_CLOSED = "audit.fail-closed";
    /**
     * The Ed25519 key that signs the audit log's checkpoints (AUD-04), created 0600 on first use. Path, default
     * {@code <home>/audit/checkpoint.key}; put it on another file system or under another owner to keep it further
     * from the log.
     */
    public static final String AUDIT_CHECKPOINT_KEY = "audit.checkpoint-key";

    /**
     * Most files a template may hold, folder or package (ARC-14). Integer, default 10000. Folder installs and
     * {@code validate} check it on the folder's listing before a file is read or copied.
     */
    public static final String TEMPLATE_MAX_FILES = "template.max-files";
    /** Largest single file of a template, in MiB (ARC-14). Integer, default 16384. */
    public static final String TEMPLATE_MAX_FILE_MB = "template.max-file-mb";
    /** Largest sum of a template's file sizes, in MiB (ARC-13). Integer, default 32768. */
    public static final String TEMPLATE_MAX_TOTAL_MB = "template.max-total-mb";

    /**
     * Ready snapshots ({@code io.vboxmcp.SnapshotPolicy}) for creates whose request names no policy: {@code never}
     * (default: every create boots and provisions), {@code reuse} (restore a clone of a matching snapshot, else
     * create cold and save one), {@code refresh} (create cold and replace the snapshot). See docs/snapshots.md.
     */
    public static final String SNAPSHOT_POLICY = "snapshot.policy";
    /**
     * MiB the ready snapshots of a home may take (integer, default 20480); after every save the least recently
     * used beyond it are deleted, as {@code vboxmcp images prune --snapshots} does.
     */
    public static final String SNAPSHOT_MAX_MB = "snapshot.max-mb";

    private CoreKeys() {
    }
}
