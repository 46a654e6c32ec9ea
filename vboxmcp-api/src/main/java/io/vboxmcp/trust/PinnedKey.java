package io.vboxmcp.trust;

import java.util.Objects;

/**
 * A public key pinned in the trust store for one source (or for all sources, {@link TrustStore#GLOBAL}).
 *
 * @param sourceId    the source the key is pinned for, or {@link TrustStore#GLOBAL}; never null
 * @param format      {@code openpgp} or {@code ssh}, never null
 * @param fingerprint OpenPGP: upper-case hex v4 fingerprint of the primary key; SSH: {@code SHA256:<base64>} as
 *                    {@code ssh-keygen -l} prints it; never null
 * @param algorithm   key algorithm as its tool names it (for example {@code ssh-ed25519}, {@code EdDSA}), never null
 * @param label       who it belongs to (OpenPGP primary user ID, SSH key comment), possibly empty, never null
 *
 * @since 0.2.0
 */
public record PinnedKey(String sourceId, String format, String fingerprint, String algorithm, String label) {
    /**
     * Checks that no component is null.
     *
     * @param sourceId    the source the key is pinned for, or {@link TrustStore#GLOBAL}; never null
     * @param format      {@code openpgp} or {@code ssh}, never null
     * @param fingerprint OpenPGP: upper-case hex v4 fingerprint of the primary key; SSH: {@code SHA256:<base64>} as
     *                    {@code ssh-keygen -l} prints it; never null
     * @param algorithm   key algorithm as its tool names it (for example {@code ssh-ed25519}, {@code EdDSA}), never null
     * @param label       who it belongs to (OpenPGP primary user ID, SSH key comment), possibly empty, never null
     */
    public PinnedKey {
        Objects.requireNonNull(sourceId, "sourceId");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(label, "label");
    }
}
