package io.vboxmcp;

import java.util.Objects;

/**
 * A template or package was refused by the trust policy: missing, malformed or non-verifying signature, unknown,
 * expired or revoked key. {@link #result()} says exactly what did not verify.
 *
 * @since 0.2.0
 */
public class SignatureVerificationException extends VboxmcpException {
    private static final long serialVersionUID = 1L;
    /** The verification that failed. */
    private final VerificationResult result;

    /**
     * @param code   {@link ErrorCode#SIGNATURE_INVALID}, {@link ErrorCode#UNTRUSTED} or {@link ErrorCode#DIGEST_MISMATCH}
     * @param result never null
     */
    public SignatureVerificationException(ErrorCode code, VerificationResult result) {
        this(code, result, null);
    }

    /**
     * @param code   never null
     * @param result never null
     * @param cause  may be null
     */
    public SignatureVerificationException(ErrorCode code, VerificationResult result, Throwable cause) {
        super(code, Objects.requireNonNull(result, "result").reason(), cause);
        this.result = result;
    }

    /** @return the failed verification, never null */
    public VerificationResult result() {
        return result;
    }
}
