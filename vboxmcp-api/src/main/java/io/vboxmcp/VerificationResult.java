package io.vboxmcp;

import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of verifying a template's signatures under a trust policy.
 *
 * @param trusted           whether the template may be used
 * @param manifestDigest    {@code sha256:<hex>} of the template's canonical manifest, never null
 * @param signerFingerprint fingerprint of the key that produced the accepted signature; null if none verified
 * @param format            signature format that verified ({@code openpgp}, {@code ssh}), or null
 * @param reason            why it is (not) trusted, one sentence, never null
 *
 * @since 0.2.0
 */
public record VerificationResult(boolean trusted, String manifestDigest, String signerFingerprint, String format,
                                 String reason) {
    /**
     * Checks the components.
     *
     * @param trusted           whether the template may be used
     * @param manifestDigest    {@code sha256:<hex>} of the template's canonical manifest, never null
     * @param signerFingerprint fingerprint of the key that produced the accepted signature; null if none verified
     * @param format            signature format that verified ({@code openpgp}, {@code ssh}), or null
     * @param reason            why it is (not) trusted, one sentence, never null
     */
    public VerificationResult {
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        Objects.requireNonNull(reason, "reason");
    }

    /** @return the signer's fingerprint if a signature verified */
    public Optional<String> signer() {
        return Optional.ofNullable(signerFingerprint);
    }
}
