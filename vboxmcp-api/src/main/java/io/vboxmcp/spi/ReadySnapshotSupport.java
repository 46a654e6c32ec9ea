package io.vboxmcp.spi;

import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;

import java.nio.channels.ByteChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The optional ready-snapshot capability of a {@link HypervisorDriver} ({@link HypervisorDriver#readySnapshots()}):
 * save a provisioned, running machine once, then create clones from it that resume where it was instead of
 * booting. The manager owns the cache (folders, keys, listing, pruning, the policy) and the clone's identity reset
 * in the guest (host keys, machine id, hostname, authorized keys, clock); the driver owns the files it writes into
 * the folder it is given and the hypervisor side of the clone (new disk over the frozen one, fresh host ports, a
 * new VM generation id where the hypervisor has one). Drivers that cannot snapshot do not implement it.
 *
 * @since 0.2.0
 */
public interface ReadySnapshotSupport {
    /**
     * Everything of the driver that a restored clone must share with the saved machine: hypervisor version, driver
     * and snapshot format version, machine type, acceleration, device layout. The manager adds its own parts
     * (template and base image digests, resources, shared folders, mirrors) and hashes both into the key.
     *
     * @param spec the machine a create would make, never null
     * @return key parts by name, never null; values must be stable across processes
     * @throws VboxmcpException {@code HYPERVISOR} if the hypervisor cannot be asked (for example its version)
     */
    Map<String, String> keyParts(MachineSpec spec) throws VboxmcpException;

    /**
     * Saves the running {@code machine} into {@code dir} (empty, created by the manager): its memory and device
     * state and its disk, both made read-only. The machine is paused while its state is written and resumed
     * afterwards, also when saving fails.
     *
     * @param machine  a running machine of this driver, never null
     * @param dir      the snapshot's folder, never null
     * @param progress never null
     * @return the digest ({@code sha256:<hex>}) of every file written, by file name relative to {@code dir};
     *         exactly the files {@link #restore} needs, never null
     * @throws VboxmcpException {@code HYPERVISOR} or {@code IO} if it could not be saved; the machine still runs
     */
    Map<String, String> save(Machine machine, Path dir, ProgressListener progress) throws VboxmcpException;

    /**
     * Creates and starts a clone of the snapshot in {@code dir} for {@code spec} (its own folder, disk over the
     * snapshot's, host ports, cloud-init seed with {@code spec}'s instance id, hostname and key). Every file's
     * digest is checked against {@code digests} before the clone runs a single guest instruction; on any failure
     * nothing of the clone is left.
     *
     * @param spec    never null
     * @param dir     the snapshot's folder, never null
     * @param digests what {@link #save} returned, never null
     * @return the running clone, never null
     * @throws VboxmcpException {@code DIGEST_MISMATCH} if a file is missing, truncated or altered;
     *                          {@code HYPERVISOR} if the hypervisor refused the state; {@code CANCELLED} if interrupted
     */
    Machine restore(MachineSpec spec, Path dir, Map<String, String> digests) throws VboxmcpException;

    /**
     * Called before the manager deletes the snapshot folder {@code dir} (prune, a damaged snapshot discarded, a
     * snapshot replaced by a newer save): frees what the driver keeps for the snapshot outside {@code dir}, for
     * example a registered template VM its clones are linked to. Clones that still depend on it must keep working:
     * the driver then frees it once the last of them is destroyed. The default keeps nothing outside {@code dir}.
     *
     * @param dir the snapshot's folder, never null; it may be damaged or partly written
     * @throws VboxmcpException {@code HYPERVISOR} or {@code IO} if it could not be freed; the manager warns and
     *                          deletes the folder anyway
     * @since 0.3.0
     */
    default void release(Path dir) throws VboxmcpException {
    }

    /**
     * The name of a virtio-serial port that the driver's machines have and whose host end only this host reaches
     * (the guest sees it as {@code /sys/class/virtio-ports/<port>/name}). With one, the manager leaves a one-shot
     * agent waiting on the port in the guest right before {@link #save} (its host end connected through
     * {@link #connectIdentityPort} for the whole save) and gives each clone its identity through it, instead of a
     * first SSH login with the snapshot's key: a clone is ready about one SSH login sooner. The default has none;
     * the manager then logs in.
     *
     * @return the port's name, or empty
     * @since 0.3.0
     */
    default Optional<String> identityPort() {
        return Optional.empty();
    }

    /**
     * Connects to the host end of {@link #identityPort()} of a running machine of this driver. For a clone just
     * returned by {@link #restore}, drivers should hand over a connection made before the clone resumed (so the
     * waiting agent never sees the host end closed). The caller reads and writes the guest's bytes and closes it;
     * closing it hangs up the host end.
     *
     * @param machine a running machine of this driver, never null
     * @return the connected channel, never null
     * @throws VboxmcpException {@code HYPERVISOR} if it could not be connected, or (the default) the driver has no
     *                          identity port
     * @since 0.3.0
     */
    default ByteChannel connectIdentityPort(Machine machine) throws VboxmcpException {
        throw new VboxmcpException(io.vboxmcp.ErrorCode.HYPERVISOR, "this driver has no identity port");
    }
}
