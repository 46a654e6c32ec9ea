package io.vboxmcp;

/**
 * A requested resource is below a template minimum, above a policy maximum, or beyond the host.
 *
 * @since 0.2.0
 */
public class ResourceLimitException extends VboxmcpException {
    private static final long serialVersionUID = 1L;

    /** @param message never null */
    public ResourceLimitException(String message) {
        super(ErrorCode.RESOURCE_LIMIT, message);
    }

    /**
     * @param code    the specific code, never null
     * @param message never null
     * @param cause   may be null
     */
    public ResourceLimitException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    /**
     * @param message never null
     * @param cause   may be null
     */
    public ResourceLimitException(String message, Throwable cause) {
        super(ErrorCode.RESOURCE_LIMIT, message, cause);
    }
}
