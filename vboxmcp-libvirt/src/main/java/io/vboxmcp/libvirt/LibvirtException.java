package io.vboxmcp.libvirt;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;

import java.util.Objects;

/**
 * libvirt refused or failed an operation. {@link #kind()} says what a caller can act on; {@link #code()} is the
 * matching {@link ErrorCode} ({@code VM_EXISTS} for a domain that exists, {@code RESOURCE_LIMIT} for a full pool,
 * {@code TIMEOUT}, else {@code HYPERVISOR}). The message carries libvirt's own words.
 */
public class LibvirtException extends HypervisorException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, as far as libvirt's error says. */
    public enum Kind {
        /** Nothing listens at the URI's host or socket (libvirtd not running, wrong host or port). */
        CONNECTION_REFUSED(ErrorCode.HYPERVISOR),
        /** The connection was reached but refused our credentials (SSH key, TLS certificate, polkit, SASL). */
        AUTHENTICATION_FAILED(ErrorCode.HYPERVISOR),
        /** A domain or volume of that name already exists. */
        ALREADY_EXISTS(ErrorCode.VM_EXISTS),
        /** The storage pool (or the host's disk under it) has no room. */
        POOL_FULL(ErrorCode.RESOURCE_LIMIT),
        /** The domain, volume or pool does not exist. */
        NOT_FOUND(ErrorCode.HYPERVISOR),
        /** A {@code virsh} call did not finish in time. */
        TIMEOUT(ErrorCode.TIMEOUT),
        /** Any other libvirt error. */
        OTHER(ErrorCode.HYPERVISOR);

        private final ErrorCode code;

        Kind(ErrorCode code) {
            this.code = code;
        }

        /** @return the error code exceptions of this kind carry */
        public ErrorCode code() {
            return code;
        }
    }

    private final Kind kind;

    /**
     * @param kind    never null
     * @param message never null
     * @param cause   may be null
     */
    public LibvirtException(Kind kind, String message, Throwable cause) {
        super(Objects.requireNonNull(kind, "kind").code(), message, cause);
        this.kind = kind;
    }

    /** @return what went wrong, never null */
    public Kind kind() {
        return kind;
    }
}
