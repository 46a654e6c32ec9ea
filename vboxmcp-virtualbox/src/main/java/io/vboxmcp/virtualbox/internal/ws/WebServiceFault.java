package io.vboxmcp.virtualbox.internal.ws;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;

/** vboxwebsrv answered with a SOAP fault (a VirtualBox {@code RuntimeFault} or a plain one). */
public final class WebServiceFault extends HypervisorException {
    private static final long serialVersionUID = 1L;
    /** VBOX_E_OBJECT_NOT_FOUND as the signed 32-bit value the web service sends. */
    public static final int OBJECT_NOT_FOUND = 0x80bb0001;
    public static final int INVALID_OBJECT_STATE = 0x80bb0007;
    private final String operation;
    private final Integer resultCode;

    WebServiceFault(String operation, String faultString, Integer resultCode) {
        super(codeFor(resultCode, faultString), "vboxwebsrv " + operation + " failed: " + faultString
                + (resultCode == null ? "" : String.format(" [0x%08x]", resultCode)), null);
        this.operation = operation;
        this.resultCode = resultCode;
    }

    public String operation() {
        return operation;
    }

    /** @return the VirtualBox result code, null for a fault that is not a RuntimeFault */
    public Integer resultCode() {
        return resultCode;
    }

    public boolean isNotFound() {
        return resultCode != null && resultCode == OBJECT_NOT_FOUND
                || getMessage().contains("Could not find a registered machine");
    }

    private static ErrorCode codeFor(Integer rc, String text) {
        if (rc != null && rc == OBJECT_NOT_FOUND || text.contains("Could not find a registered machine")) {
            return ErrorCode.VM_NOT_FOUND;
        }
        if (rc != null && rc == INVALID_OBJECT_STATE) {
            return ErrorCode.LOCKED;
        }
        return ErrorCode.HYPERVISOR;
    }
}
