package io.vboxmcp;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A shared folder with its host path resolved and checked against the allow-list.
 *
 * @param name      share tag, never null
 * @param hostPath  absolute, normalised host path, never null
 * @param guestPath absolute guest mount point, never null
 * @param readOnly  whether writes from the guest are refused
 *
 * @since 0.2.0
 */
public record PlannedSharedFolder(String name, Path hostPath, String guestPath, boolean readOnly) {
    /**
     * Checks that no component is null.
     *
     * @param name      share tag, never null
     * @param hostPath  absolute, normalised host path, never null
     * @param guestPath absolute guest mount point, never null
     * @param readOnly  whether writes from the guest are refused
     */
    public PlannedSharedFolder {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hostPath, "hostPath");
        Objects.requireNonNull(guestPath, "guestPath");
    }
}
