package io.vboxmcp.spi;

import io.vboxmcp.HypervisorException;

import java.nio.file.Path;

/**
 * Writes cloud-init NoCloud seeds: an ISO 9660 volume labelled {@code cidata} holding {@code meta-data} and
 * {@code user-data}, which stock cloud images and the vboxmcp test image read the same way; one writer for every
 * driver. Implemented by core, offered through {@link ProviderContext#seedWriter()}; thread-safe.
 *
 * @since 0.2.0
 */
public interface SeedWriter {
    /**
     * Writes (or replaces) the seed atomically: {@code iso} holds the whole seed or is unchanged.
     *
     * @param seed never null
     * @param iso  the file to write, its folder existing
     * @throws HypervisorException {@link io.vboxmcp.ErrorCode#INVALID_ARGUMENT} if a value would not stay one YAML
     *                             value (a line break in the key or instance id, a user name outside
     *                             {@code [a-z_][a-z0-9_-]{0,31}}); {@link io.vboxmcp.ErrorCode#IO} if the file
     *                             cannot be written. Nothing is left behind either way.
     */
    void write(CloudInitSeed seed, Path iso) throws HypervisorException;
}
