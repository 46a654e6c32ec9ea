package io.vboxmcp;

/**
 * Lifecycle state of a VM as the driver reports it.
 *
 * @since 0.2.0
 */
public enum VmState {
    /** Being created or provisioned. */
    CREATING,
    /** Running. */
    RUNNING,
    /** Powered off; disks kept. */
    STOPPED,
    /** Creation or provisioning failed and the VM was kept for inspection (never returned as ready). */
    FAILED,
    /** Destroyed: no process, disk or port remains. */
    DESTROYED,
    /** The driver could not tell. */
    UNKNOWN
}
