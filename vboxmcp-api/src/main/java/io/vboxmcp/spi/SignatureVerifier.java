package io.vboxmcp.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Verifies one detached-signature format. Stateless and thread-safe. Fails closed: anything it cannot parse or
 * check is an invalid result, never an exception that a caller might mistake for "skipped".
 *
 * @since 0.2.0
 */
public interface SignatureVerifier {
    /** @return the format handled ({@code openpgp}, {@code ssh}), never null */
    String format();

    /**
     * @param signedData the exact bytes that were signed, never null
     * @param signature  the detached signature as stored (armored or binary), never null
     * @param keys       the only keys that may have signed; keys of other formats are ignored, never null
     * @param now        the time against which key expiry is judged, never null
     * @return the outcome, never null
     */
    Check verify(byte[] signedData, byte[] signature, List<TrustedKey> keys, Instant now);

    /** The namespace of template manifest signatures. */
    String TEMPLATE_NAMESPACE = "vboxmcp-template";
    /** The namespace Git uses for SSH-signed commits and tags. */
    String GIT_NAMESPACE = "git";

    /**
     * Verifies a signature made for one purpose. Formats that bind a purpose into the signature (SSH signatures'
     * namespace) must refuse any other; formats without one check as {@link #verify(byte[], byte[], List, Instant)}.
     * The default refuses every namespace but {@link #TEMPLATE_NAMESPACE}, so a verifier that does not know
     * namespaces fails closed.
     *
     * @param signedData the bytes that were signed, never null
     * @param signature  the detached signature's bytes, never null
     * @param keys       the pinned keys to accept, never null
     * @param now        the time to check key validity at, never null
     * @param namespace  the purpose the signer declared, for example {@link #GIT_NAMESPACE}; never null
     * @return whether the signature verified, never null
     */
    default Check verify(byte[] signedData, byte[] signature, List<TrustedKey> keys, Instant now, String namespace) {
        if (!TEMPLATE_NAMESPACE.equals(namespace)) {
            return Check.invalid(format() + " verifier does not support namespace '" + namespace + "'");
        }
        return verify(signedData, signature, keys, now);
    }

    /**
     * @param valid       whether the signature verified under a pinned, usable key
     * @param fingerprint the fingerprint of the pinned key that verified, null if none
     * @param reason      why it is (not) valid, one sentence, never null
     */
    record Check(boolean valid, String fingerprint, String reason) {
        /**
         * Checks that the reason is given.
         *
         * @param valid       whether the signature verified under a pinned, usable key
         * @param fingerprint the fingerprint of the pinned key that verified, null if none
         * @param reason      why it is (not) valid, one sentence, never null
         */
        public Check {
            Objects.requireNonNull(reason, "reason");
        }

        /**
         * A failed check.
         *
         * @param reason why, one sentence, never null
         * @return the check
         */
        public static Check invalid(String reason) {
            return new Check(false, null, reason);
        }

        /**
         * A passed check.
         *
         * @param fingerprint the pinned key that verified, never null
         * @return the check
         */
        public static Check valid(String fingerprint) {
            return new Check(true, Objects.requireNonNull(fingerprint), "signed by " + fingerprint);
        }
    }
}
