package io.vboxmcp.core;

/**
 * Configuration keys of {@code vboxmcp-core}. Each is read from {@code VmManager.Builder.property(key, value)},
 * then the system property {@code vboxmcp.<key>}, then the environment variable {@code VBOXMCP_<KEY>} (upper case,
 * dots and dashes as underscores).
 */
public final class CoreKeys {
    /** Comma-separated {@code file:} or {@code http(s):} URIs of image catalogs (JSON). Default: {@code <home>/images/catalog.json}. */
    public static final String IMAGE_CATALOG = "image.catalog";
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

    private CoreKeys() {
    }
}
