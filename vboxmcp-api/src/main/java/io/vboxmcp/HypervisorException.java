package io.vboxmcp;

/**
 * The hypervisor or its driver failed, or no usable driver exists.
 *
 * @since 0.2.0
 */
public class HypervisorException extends VboxmcpException {
    private static final long serialVersionUID = 1L;

    /** @param message never null */
    public HypervisorException(String message) {
        super(ErrorCode.HYPERVISOR, message);
    }

    /**
     * @param code    the specific code, never null
     * @param message never null
     * @param cause   may be null
     */
    public HypervisorException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    /**
     * @param message never null
     * @param cause   may be null
     */
    public HypervisorException(String message, Throwable cause) {
        super(ErrorCode.HYPERVISOR, message, cause);
    }
}
