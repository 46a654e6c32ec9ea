package io.vboxmcp.template;

import java.util.Objects;

/**
 * A host folder shared into the guest.
 *
 * @param name      share name, never null
 * @param hostPath  host path as written ({@code ~} allowed), never null
 * @param guestPath absolute guest mount point, never null
 * @param readOnly  whether the guest may not write
 *
 * @since 0.2.0
 */
public record SharedFolder(String name, String hostPath, String guestPath, boolean readOnly) {
    /**
     * Checks the components.
     *
     * @param name      share name, never null
     * @param hostPath  host path as written ({@code ~} allowed), never null
     * @param guestPath absolute guest mount point, never null
     * @param readOnly  whether the guest may not write
     */
    public SharedFolder {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hostPath, "hostPath");
        Objects.requireNonNull(guestPath, "guestPath");
    }
}
