package io.vboxmcp;

/**
 * Upper limits for every VM a manager creates, and the defaults used when neither the request nor the template
 * says. A value of 0 means "what the host has" (memory and cpus) or "unlimited" (disk, concurrent VMs).
 *
 * @param maxMemoryMb       0 for the host's physical memory
 * @param maxCpus           0 for the host's processors
 * @param maxDiskMb         0 for no limit
 * @param maxConcurrentVms  0 for no limit
 * @param defaultMemoryMb   used when neither request nor template names memory
 * @param defaultCpus       used when neither request nor template names cpus
 * @param defaultDiskMb     used when neither request nor template names a disk size
 *
 * @since 0.2.0
 */
public record ResourcePolicy(int maxMemoryMb, int maxCpus, int maxDiskMb, int maxConcurrentVms,
                             int defaultMemoryMb, int defaultCpus, int defaultDiskMb) {
    /**
     * Checks that limits are at least 0 and defaults at least 1.
     *
     * @param maxMemoryMb       0 for the host's physical memory
     * @param maxCpus           0 for the host's processors
     * @param maxDiskMb         0 for no limit
     * @param maxConcurrentVms  0 for no limit
     * @param defaultMemoryMb   used when neither request nor template names memory
     * @param defaultCpus       used when neither request nor template names cpus
     * @param defaultDiskMb     used when neither request nor template names a disk size
     */
    public ResourcePolicy {
        if (maxMemoryMb < 0 || maxCpus < 0 || maxDiskMb < 0 || maxConcurrentVms < 0
                || defaultMemoryMb < 1 || defaultCpus < 1 || defaultDiskMb < 1) {
            throw new IllegalArgumentException("limits must be >= 0 and defaults >= 1");
        }
    }

    /** @return no more than the host has; defaults 512 MB, 1 cpu, 2048 MB disk */
    public static ResourcePolicy hostLimits() {
        return new ResourcePolicy(0, 0, 0, 0, 512, 1, 2048);
    }

    /**
     * @param v the most memory in MiB one VM may have, 0 for the host's physical memory
     * @return a copy with that limit
     */
    public ResourcePolicy withMaxMemoryMb(int v) {
        return new ResourcePolicy(v, maxCpus, maxDiskMb, maxConcurrentVms, defaultMemoryMb, defaultCpus, defaultDiskMb);
    }

    /**
     * @param v the most virtual CPUs one VM may have, 0 for the host's processors
     * @return a copy with that limit
     */
    public ResourcePolicy withMaxCpus(int v) {
        return new ResourcePolicy(maxMemoryMb, v, maxDiskMb, maxConcurrentVms, defaultMemoryMb, defaultCpus, defaultDiskMb);
    }

    /**
     * @param v the largest disk in MiB one VM may have, 0 for no limit
     * @return a copy with that limit
     */
    public ResourcePolicy withMaxDiskMb(int v) {
        return new ResourcePolicy(maxMemoryMb, maxCpus, v, maxConcurrentVms, defaultMemoryMb, defaultCpus, defaultDiskMb);
    }

    /**
     * @param v how many VMs may exist at once, 0 for no limit
     * @return a copy with that limit
     */
    public ResourcePolicy withMaxConcurrentVms(int v) {
        return new ResourcePolicy(maxMemoryMb, maxCpus, maxDiskMb, v, defaultMemoryMb, defaultCpus, defaultDiskMb);
    }
}
