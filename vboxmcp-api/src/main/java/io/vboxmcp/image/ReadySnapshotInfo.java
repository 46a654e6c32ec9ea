package io.vboxmcp.image;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * One ready snapshot in the cache ({@code <home>/cache/snapshots/<key>}).
 *
 * @param key      the hex digest of everything a clone must share with the saved machine, never null
 * @param template {@code name@version} of the template it was provisioned from, never null
 * @param driver   the driver that saved it, never null
 * @param bytes    what its files take on disk
 * @param created  when it was saved, never null
 * @param lastUsed when a create last restored it (or {@code created}), never null
 * @param dir      its folder, never null
 *
 * @since 0.2.0
 */
public record ReadySnapshotInfo(String key, String template, String driver, long bytes, Instant created,
                                Instant lastUsed, Path dir) {
    /**
     * Checks the components (see the type's description).
     *
     * @param key as described above
     * @param template as described above
     * @param driver as described above
     * @param bytes as described above
     * @param created as described above
     * @param lastUsed as described above
     * @param dir as described above
     */
    public ReadySnapshotInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(lastUsed, "lastUsed");
        Objects.requireNonNull(dir, "dir");
    }
}
