package io.vboxmcp.spi;

import io.vboxmcp.ProgressListener;
import io.vboxmcp.VmPlan;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What a driver needs, beyond the plan, to create a machine.
 *
 * @param plan         never null
 * @param vmDir        the VM's own folder under {@code <home>/vms/<name>}, already created and locked; the driver
 *                     keeps its disks, sockets and logs here, never null
 * @param image        the verified base image, never null
 * @param sshPublicKey the per-VM public key ({@code authorized_keys} line) to inject through cloud-init NoCloud,
 *                     never null
 * @param sshUser      the user the key is installed for, never null
 * @param instanceId   a fresh unique id for cloud-init and the machine id, never null
 * @param progress     never null
 *
 * @since 0.2.0
 */
public record MachineSpec(VmPlan plan, Path vmDir, BaseImage image, String sshPublicKey, String sshUser,
                          String instanceId, ProgressListener progress) {
    /**
     * Checks that no component is null.
     *
     * @param plan         never null
     * @param vmDir        the VM's own folder under {@code <home>/vms/<name>}, already created and locked; the driver
     *                     keeps its disks, sockets and logs here, never null
     * @param image        the verified base image, never null
     * @param sshPublicKey the per-VM public key ({@code authorized_keys} line) to inject through cloud-init NoCloud,
     *                     never null
     * @param sshUser      the user the key is installed for, never null
     * @param instanceId   a fresh unique id for cloud-init and the machine id, never null
     * @param progress     never null
     */
    public MachineSpec {
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(vmDir, "vmDir");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(sshPublicKey, "sshPublicKey");
        Objects.requireNonNull(sshUser, "sshUser");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(progress, "progress");
    }
}
