package io.vboxmcp;

/**
 * A VM does not exist, already exists, or is locked by another operation; see {@link #code()}.
 *
 * @since 0.2.0
 */
public class VmStateException extends VboxmcpException {
    private static final long serialVersionUID = 1L;

    /** @param message never null */
    public VmStateException(String message) {
        super(ErrorCode.VM_NOT_FOUND, message);
    }

    /**
     * @param code    the specific code, never null
     * @param message never null
     * @param cause   may be null
     */
    public VmStateException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    /**
     * @param message never null
     * @param cause   may be null
     */
    public VmStateException(String message, Throwable cause) {
        super(ErrorCode.VM_NOT_FOUND, message, cause);
    }
}
