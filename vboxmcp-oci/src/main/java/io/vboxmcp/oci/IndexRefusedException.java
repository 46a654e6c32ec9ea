package io.vboxmcp.oci;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

/**
 * A signed root or index was refused: the reason says which protection fired. The trusted state is unchanged and
 * nothing the refused document references was downloaded.
 */
public class IndexRefusedException extends VboxmcpException {
    private static final long serialVersionUID = 1L;

    /** Why a document was refused (threats.md rows in brackets). */
    public enum Reason {
        /** Malformed: a missing or mistyped field, a bad version, a bad name (IDX-12, IDX-21, IDX-22). */
        MALFORMED,
        /** The document's type or version is not the one asked for (IDX-03, IDX-17, KEY-09). */
        WRONG_DOCUMENT,
        /** Not enough valid signatures by the keys and threshold that must sign it (KEY-01..08, REG-07). */
        THRESHOLD,
        /** Older than the trusted one, or the same version with other bytes (IDX-01, IDX-02, IDX-07). */
        ROLLBACK,
        /** Expired at the start of the update (IDX-04). */
        EXPIRED,
        /** A template version disappeared, changed digest, or is listed twice (IDX-08, REG-01, REG-02). */
        INCONSISTENT,
        /** More data, documents or rotations than the caps allow (IDX-13, KEY-10, REG-04). */
        TOO_LARGE,
        /**
         * A template name signed by a role it is not delegated to, or only reachable past a terminating delegation
         * (REG-03, REG-05).
         *
         * @since 0.3.0
         */
        DELEGATION
    }

    private final Reason reason;

    public IndexRefusedException(Reason reason, String message) {
        super(reason == Reason.THRESHOLD ? ErrorCode.SIGNATURE_INVALID
                : reason == Reason.TOO_LARGE ? ErrorCode.RESOURCE_LIMIT : ErrorCode.UNTRUSTED, message);
        this.reason = reason;
    }

    /** @return which protection refused the document, never null */
    public Reason reason() {
        return reason;
    }
}
