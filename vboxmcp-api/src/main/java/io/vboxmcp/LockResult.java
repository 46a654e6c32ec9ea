package io.vboxmcp;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link VmManager#lock} wrote.
 *
 * @param file    the {@code vboxmcp.lock} written, never null
 * @param content its exact text (stable key order: the same resolution always gives the same bytes), never null
 * @param changes how it differs from the lockfile that was there before, one line each; empty if unchanged
 *
 * @since 0.2.0
 */
public record LockResult(Path file, String content, List<String> changes) {
    /**
     * Checks the fields and copies the list.
     *
     * @param file    never null
     * @param content never null
     * @param changes never null
     */
    public LockResult {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(content, "content");
        changes = List.copyOf(changes);
    }
}
