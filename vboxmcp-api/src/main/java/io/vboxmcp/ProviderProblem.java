package io.vboxmcp;

import java.util.Objects;

/**
 * A provider that was found but could not be used; reported instead of failing the manager.
 *
 * @param provider class or id of the provider, never null
 * @param reason   never null
 *
 * @since 0.2.0
 */
public record ProviderProblem(String provider, String reason) {
    /**
     * Checks that no component is null.
     *
     * @param provider class or id of the provider, never null
     * @param reason   never null
     */
    public ProviderProblem {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(reason, "reason");
    }
}
