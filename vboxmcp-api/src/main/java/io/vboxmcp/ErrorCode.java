package io.vboxmcp;

/**
 * Machine-readable reason carried by every {@link VboxmcpException}. Stable: callers may switch on it.
 *
 * @since 0.2.0
 */
public enum ErrorCode {
    /** An argument (name, parameter, path) was malformed. */
    INVALID_ARGUMENT,
    /** A version or version range string could not be parsed. */
    INVALID_VERSION,
    /** No template of that name exists in any configured source. */
    TEMPLATE_NOT_FOUND,
    /** The template exists but no version matches the requested range. */
    VERSION_NOT_FOUND,
    /** The template document failed parsing, schema or semantic validation. */
    TEMPLATE_INVALID,
    /** A package or archive was malformed or unsafe to extract. */
    ARCHIVE_INVALID,
    /** A signature was missing, malformed, or did not verify against a trusted key. */
    SIGNATURE_INVALID,
    /** The template is not trusted under the configured trust policy. */
    UNTRUSTED,
    /** A digest did not match the expected value. */
    DIGEST_MISMATCH,
    /**
     * A base image file is not of the format its catalog declares, or is unsafe to give a hypervisor (a qcow2 that
     * names a backing file or an external data file, a VMDK descriptor naming extent files).
     */
    IMAGE_INVALID,
    /** A request exceeds a template minimum, a resource policy maximum or the host's capacity. */
    RESOURCE_LIMIT,
    /** The host configuration refuses the request (for example a shared folder outside the allow-list). */
    POLICY_VIOLATION,
    /** No usable hypervisor driver, or the hypervisor failed. */
    HYPERVISOR,
    /** Guest provisioning (packages, scripts) failed. */
    PROVISIONING,
    /** The guest did not become reachable in time, or an operation timed out. */
    TIMEOUT,
    /** The same template name and version already exists with different content (versions are immutable). */
    CONFLICT,
    /** A VM with that name already exists. */
    VM_EXISTS,
    /** No VM with that name exists. */
    VM_NOT_FOUND,
    /** The VM or store entry is locked by another operation or process. */
    LOCKED,
    /** A source or download could not be reached or returned an error. */
    SOURCE_UNAVAILABLE,
    /** The operation was interrupted or cancelled. */
    CANCELLED,
    /** The audit log could not be written or failed verification. */
    AUDIT,
    /** Local I/O failed. */
    IO,
    /** A bug or an unexpected state; the message says what. */
    INTERNAL
}
