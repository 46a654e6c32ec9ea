package io.vboxmcp;

/**
 * A template, or a version of it matching the request, does not exist. {@link #code()} is TEMPLATE_NOT_FOUND or VERSION_NOT_FOUND.
 *
 * @since 0.2.0
 */
public class TemplateNotFoundException extends VboxmcpException {
    private static final long serialVersionUID = 1L;

    /** @param message never null */
    public TemplateNotFoundException(String message) {
        super(ErrorCode.TEMPLATE_NOT_FOUND, message);
    }

    /**
     * @param code    the specific code, never null
     * @param message never null
     * @param cause   may be null
     */
    public TemplateNotFoundException(ErrorCode code, String message, Throwable cause) {
        super(code, message, cause);
    }

    /**
     * @param message never null
     * @param cause   may be null
     */
    public TemplateNotFoundException(String message, Throwable cause) {
        super(ErrorCode.TEMPLATE_NOT_FOUND, message, cause);
    }
}
