package io.vboxmcp;

/**
 * A package or archive is malformed or unsafe to extract; nothing was extracted.
 *
 * @since 0.2.0
 */
public class ArchiveException extends VboxmcpException {
    private static final long serialVersionUID = 1L;

    /** @param message never null */
    public ArchiveException(String message) {
        super(ErrorCode.ARCHIVE_INVALID, message);
    }

    /**
     * @param code    the specific code, never null
     * @param message never null
     * @param cause   may be null
     */
    public ArchiveException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    /**
     * @param message never null
     * @param cause   may be null
     */
    public ArchiveException(String message, Throwable cause) {
        super(ErrorCode.ARCHIVE_INVALID, message, cause);
    }
}
