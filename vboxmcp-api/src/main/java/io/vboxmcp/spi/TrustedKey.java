package io.vboxmcp.spi;

import java.util.Objects;

/**
 * A pinned public key.
 *
 * @param format      {@code openpgp} (armored or binary transferable public key) or {@code ssh}
 *                    ({@code authorized_keys} line), never null
 * @param fingerprint the key's fingerprint as its tool prints it (OpenPGP: upper-case hex v4 fingerprint;
 *                    SSH: {@code SHA256:...}), never null
 * @param material    the encoded public key, never null
 * @param label       who it belongs to, never null
 *
 * @since 0.2.0
 */
public record TrustedKey(String format, String fingerprint, byte[] material, String label) {
    /**
     * Checks the components and copies the key material.
     *
     * @param format      {@code openpgp} (armored or binary transferable public key) or {@code ssh}
     *                    ({@code authorized_keys} line), never null
     * @param fingerprint the key's fingerprint as its tool prints it (OpenPGP: upper-case hex v4 fingerprint;
     *                    SSH: {@code SHA256:...}), never null
     * @param material    the encoded public key, never null
     * @param label       who it belongs to, never null
     */
    public TrustedKey {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(fingerprint, "fingerprint");
        material = Objects.requireNonNull(material, "material").clone();
        Objects.requireNonNull(label, "label");
    }

    /** @return a copy of the encoded public key */
    @Override
    public byte[] material() {
        return material.clone();
    }
}
