package io.vboxmcp;

import java.util.Locale;

/**
 * Whether a create uses and makes <em>ready snapshots</em>: a provisioned machine saved once (memory, device state
 * and its disk, frozen read-only) and restored as a clone by later creates whose snapshot key matches (template
 * digest, base image digest, resources, shared folders, package mirrors, the driver's machine layout and
 * versions). Only drivers that offer {@link io.vboxmcp.spi.ReadySnapshotSupport} take part; with any other driver
 * every policy creates cold.
 *
 * @since 0.2.0
 */
public enum SnapshotPolicy {
    /** Restore from a matching snapshot if there is one; otherwise create cold and save a snapshot afterwards. */
    REUSE,
    /** Never restore: create cold and save (replace) the snapshot of this key afterwards. */
    REFRESH,
    /** Neither restore nor save: every create boots and provisions (the default). */
    NEVER;

    /**
     * @param text {@code reuse}, {@code refresh} or {@code never}, any case
     * @return the policy
     * @throws VboxmcpException {@link ErrorCode#INVALID_ARGUMENT} for anything else
     */
    public static SnapshotPolicy parse(String text) throws VboxmcpException {
        String t = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        for (SnapshotPolicy p : values()) {
            if (p.name().equals(t)) {
                return p;
            }
        }
        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "snapshot policy must be reuse, refresh or never, got '"
                + text + "'");
    }

    /** @return the lower-case name used in configuration and on the command line */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
