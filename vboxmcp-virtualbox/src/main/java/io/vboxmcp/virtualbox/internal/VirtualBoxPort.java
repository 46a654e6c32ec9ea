package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The one internal port in front of VirtualBox. The driver holds the policy (master VMs per template digest,
 * port allocation, the seed ISO, waiting); adapters only translate each call to VBoxManage commands or web-service
 * calls. {@code vm} arguments are a name or UUID. Adapters are thread-safe and serialise calls per VM.
 */
public interface VirtualBoxPort extends AutoCloseable {
    /** @return {@code vboxmanage} or {@code webservice} */
    String adapterId();

    /** @return the VirtualBox version; the adapter refuses versions it cannot drive before returning */
    VBoxVersion version() throws VboxmcpException;

    List<VmRef> listVms() throws VboxmcpException;

    /** @return empty if no such machine is registered */
    Optional<VmStatus> status(String vm) throws VboxmcpException;

    /** @return snapshot names, empty if none */
    List<String> snapshots(String vm) throws VboxmcpException;

    /** Imports an OVA/OVF appliance as a registered VM; @return its UUID */
    String importAppliance(Path appliance, String name, Path baseFolder) throws VboxmcpException;

    /**
     * Registers a new VM whose only disk is a VDI copy of {@code disk} (the base image is never written).
     *
     * @return its UUID
     */
    String createFromDisk(String name, Path disk, String diskFormat, Path baseFolder) throws VboxmcpException;

    /** Switches the machine to UEFI firmware (for images whose boot loader needs it); called before the snapshot. */
    void useEfiFirmware(String vm) throws VboxmcpException;

    void takeSnapshot(String vm, String snapshot) throws VboxmcpException;

    /**
     * @param snapshot the source snapshot; required when {@code linked}
     * @return the clone's UUID
     */
    String cloneVm(String source, String snapshot, boolean linked, String name, Path baseFolder) throws VboxmcpException;

    void setResources(String vm, int memoryMb, int cpus) throws VboxmcpException;

    /** @return the first disk's capacity in MB, empty if this adapter cannot tell (then it cannot resize either) */
    java.util.OptionalLong primaryDiskCapacityMb(String vm) throws VboxmcpException;

    /** Grows the first disk to {@code diskMb}; only called on a full (not linked) clone. */
    void resizePrimaryDisk(String vm, int diskMb) throws VboxmcpException;

    /** Sends the first serial port to a file on the host, so the driver can show the guest console in errors. */
    void serialConsoleToFile(String vm, Path file) throws VboxmcpException;

    /** Makes NIC 1 a NAT adapter whose forwarding rules are exactly {@code rules}. */
    void replaceForwards(String vm, List<NatRule> rules) throws VboxmcpException;

    void addSharedFolder(String vm, String name, Path hostPath, boolean readOnly) throws VboxmcpException;

    /** Attaches an ISO as a DVD in a free slot (adding an IDE controller if there is none). */
    void attachDvd(String vm, Path iso) throws VboxmcpException;

    void start(String vm) throws VboxmcpException;

    /** Presses the ACPI power button; returns at once. */
    void acpiShutdown(String vm) throws VboxmcpException;

    /** Pulls the plug; a machine that is not running is left alone. */
    void powerOff(String vm) throws VboxmcpException;

    /** Unregisters the machine and deletes its files; a machine that does not exist is not an error. */
    void delete(String vm) throws VboxmcpException;

    // ----- ready snapshots (VirtualBoxReadySnapshots): only the VBoxManage adapter implements these

    /** @return the machine's parsed settings and state, empty if it is not registered */
    default Optional<VmInfo> info(String vm) throws VboxmcpException {
        throw unsupported("reading machine settings");
    }

    /**
     * Takes a snapshot of a running machine with its memory and device state, pausing it only briefly
     * ({@code --live}); the machine runs on.
     */
    default void takeLiveSnapshot(String vm, String snapshot) throws VboxmcpException {
        throw unsupported("live snapshots");
    }

    /** Deletes a snapshot, merging its disks into the machine's current state (also while it runs). */
    default void deleteSnapshot(String vm, String snapshot) throws VboxmcpException {
        throw unsupported("deleting snapshots");
    }

    /**
     * Clones the state of {@code snapshot}, saved memory state included (the clone is then {@code saved} and a start
     * resumes it), keeping the MAC of NAT adapters so the resumed guest's network card matches its settings.
     *
     * @return the clone's UUID
     */
    default String cloneSavedState(String source, String snapshot, boolean linked, String name, Path baseFolder)
            throws VboxmcpException {
        throw unsupported("cloning saved states");
    }

    /**
     * Replaces the NAT rules of NIC 1 without touching its attachment type, so it also works on a machine in the
     * {@code saved} state (VirtualBox lets NAT redirects change in any state).
     */
    default void replaceNatRules(String vm, List<NatRule> rules) throws VboxmcpException {
        throw unsupported("changing NAT rules of a saved machine");
    }

    /** Points the (already enabled) first serial port at a file; allowed on a saved machine. */
    default void consoleToFile(String vm, Path file) throws VboxmcpException {
        throw unsupported("moving the console file");
    }

    /** Inserts an ISO into (or, with null, ejects the medium of) an existing DVD drive; allowed while running. */
    default void changeDvd(String vm, String controller, int port, int device, Path iso) throws VboxmcpException {
        throw unsupported("changing DVDs");
    }

    private HypervisorException unsupported(String what) {
        return new HypervisorException("the " + adapterId() + " adapter does not support " + what);
    }

    @Override
    default void close() throws VboxmcpException {
    }

    /**
     * @param name  never null
     * @param uuid  never null
     * @param state VBoxManage's short state name ({@code poweroff}, {@code running}, {@code aborted}, ...)
     */
    record VmStatus(String name, String uuid, String state) {
        /** @return whether a VM process exists (it must be powered off before it can be deleted) */
        public boolean active() {
            return switch (state) {
                case "poweroff", "aborted", "saved", "aborted-saved", "teleported", "unknown" -> false;
                default -> true;
            };
        }
    }
}
