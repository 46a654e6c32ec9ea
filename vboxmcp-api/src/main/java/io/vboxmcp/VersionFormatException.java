package io.vboxmcp;

/**
 * A version, version range or template reference string is malformed.
 *
 * @since 0.2.0
 */
public class VersionFormatException extends VboxmcpException {
    private static final long serialVersionUID = 1L;

    /** @param message never null */
    public VersionFormatException(String message) {
        super(ErrorCode.INVALID_VERSION, message);
    }
}
