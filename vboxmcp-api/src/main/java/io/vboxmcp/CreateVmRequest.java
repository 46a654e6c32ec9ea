package io.vboxmcp;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A request to create a VM from a template. Build with {@link #builder(String, TemplateRef)}.
 *
 * @param vmName           never null, {@link TemplateRef#NAME_PATTERN}
 * @param template         never null
 * @param memoryMb         null for the template minimum (or the policy default)
 * @param cpus             null for the template minimum (or the policy default)
 * @param diskSizeMb       null for the template minimum (or the policy default)
 * @param driverId         null for the highest-priority available driver
 * @param hostPaths        share name to host path, overriding the template's {@code host_path}; never null
 * @param keepOnFailure    keep a VM whose provisioning failed (state FAILED) instead of destroying it
 * @param readyTimeout     how long to wait for the guest's SSH; null for the default
 * @param progress         never null
 * @param writableShares   names of the template's shared folders the caller allows to be writable (EXE-02: a
 *                         template asking for a writable host folder is refused unless named here); never null
 * @param lockFile         a {@code vboxmcp.lock} to resolve the template's bases and features by; null to use the
 *                         one inside the template folder, if there is one (docs/lockfiles.md)
 * @param frozen           fail ({@link ErrorCode#CONFLICT}, every difference listed) unless the lockfile exists and
 *                         is exactly what resolution gives now: no newer version, other digest or signer, missing
 *                         or extra entry, other base image digest
 * @param snapshots        whether to restore from and save ready snapshots; null for the manager's
 *                         {@code snapshot.policy} (default {@link SnapshotPolicy#NEVER})
 *
 * @since 0.2.0
 */
public record CreateVmRequest(String vmName, TemplateRef template, Integer memoryMb, Integer cpus, Integer diskSizeMb,
                              String driverId, Map<String, String> hostPaths, boolean keepOnFailure,
                              Duration readyTimeout, ProgressListener progress, java.util.Set<String> writableShares,
                              java.nio.file.Path lockFile, boolean frozen, SnapshotPolicy snapshots) {
    /**
     * A request without a lockfile option (the template's own lockfile is still used, not frozen).
     *
     * @param vmName         never null
     * @param template       never null
     * @param memoryMb       null for the template minimum
     * @param cpus           null for the template minimum
     * @param diskSizeMb     null for the template minimum
     * @param driverId       null for the highest-priority available driver
     * @param hostPaths      share name to host path; never null
     * @param keepOnFailure  keep a VM whose provisioning failed
     * @param readyTimeout   how long to wait for the guest's SSH; null for the default
     * @param progress       never null
     * @param writableShares shares the caller allows to be writable; never null
     */
    public CreateVmRequest(String vmName, TemplateRef template, Integer memoryMb, Integer cpus, Integer diskSizeMb,
                           String driverId, Map<String, String> hostPaths, boolean keepOnFailure,
                           Duration readyTimeout, ProgressListener progress, java.util.Set<String> writableShares) {
        this(vmName, template, memoryMb, cpus, diskSizeMb, driverId, hostPaths, keepOnFailure, readyTimeout, progress,
                writableShares, null, false, null);
    }

    /**
     * Checks the required fields and copies the collections (the record is immutable).
     *
     * @param vmName           never null, {@link TemplateRef#NAME_PATTERN}
     * @param template         never null
     * @param memoryMb         null for the template minimum (or the policy default)
     * @param cpus             null for the template minimum (or the policy default)
     * @param diskSizeMb       null for the template minimum (or the policy default)
     * @param driverId         null for the highest-priority available driver
     * @param hostPaths        share name to host path, overriding the template's {@code host_path}; never null
     * @param keepOnFailure    keep a VM whose provisioning failed (state FAILED) instead of destroying it
     * @param readyTimeout     how long to wait for the guest's SSH; null for the default
     * @param progress         never null
     * @param writableShares   names of the template's shared folders the caller allows to be writable (EXE-02: a
     *                         template asking for a writable host folder is refused unless named here); never null
     * @param lockFile         a lockfile to resolve bases and features by; null for the template's own, if any
     * @param frozen           fail unless the lockfile is exactly what resolution gives now
     * @param snapshots        ready-snapshot policy; null for the manager's {@code snapshot.policy}
     */
    public CreateVmRequest {
        Objects.requireNonNull(vmName, "vmName");
        Objects.requireNonNull(template, "template");
        hostPaths = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hostPaths == null ? Map.of() : hostPaths));
        progress = progress == null ? ProgressListener.NONE : progress;
        writableShares = java.util.Set.copyOf(writableShares == null ? java.util.Set.of() : writableShares);
    }

    /**
     * @param vmName   never null
     * @param template never null
     * @return a builder with every option at its default
     */
    public static Builder builder(String vmName, TemplateRef template) {
        return new Builder(vmName, template);
    }

    /**
     * Builds a request from the seed's loose parameter map: {@code memory} (MB), {@code cpus},
     * {@code disk_size} (MB), optionally {@code driver}, {@code keep_on_failure}, {@code snapshot}
     * ({@code reuse}, {@code refresh} or {@code never}, see {@link SnapshotPolicy}) and {@code allow_write}: the names
     * of the template's shared folders the caller lets the guest write to (a name, comma-separated names or a
     * collection of names; see {@link Builder#allowWritableShare}), so that the seed's one-line call can create a
     * template that asks for a writable share.
     *
     * @param vmName     the new VM's name, never null
     * @param template   the template to create it from, never null
     * @param parameters the seed's parameter map; null or empty for every default
     * @return the request
     * @throws VboxmcpException with {@link ErrorCode#INVALID_ARGUMENT} for an unknown key or a value of the wrong type
     */
    public static CreateVmRequest fromParameters(String vmName, TemplateRef template, Map<String, ?> parameters)
            throws VboxmcpException {
        Builder b = builder(vmName, template);
        for (Map.Entry<String, ?> e : (parameters == null ? Map.<String, Object>of() : parameters).entrySet()) {
            Object v = e.getValue();
            switch (e.getKey()) {
                case "memory" -> b.memoryMb(intParam(e.getKey(), v));
                case "cpus" -> b.cpus(intParam(e.getKey(), v));
                case "disk_size" -> b.diskSizeMb(intParam(e.getKey(), v));
                case "driver" -> b.driver(String.valueOf(v));
                case "keep_on_failure" -> b.keepOnFailure(Boolean.parseBoolean(String.valueOf(v)));
                case "snapshot" -> b.snapshots(SnapshotPolicy.parse(String.valueOf(v)));
                case "allow_write" -> {
                    java.util.Collection<?> shares = v instanceof java.util.Collection<?> c ? c
                            : java.util.List.of(String.valueOf(v).split(",", -1));
                    if (shares.isEmpty() || shares.stream().anyMatch(x -> x == null || String.valueOf(x).isBlank())) {
                        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "parameter 'allow_write' must name "
                                + "shared folders, got '" + v + "'");
                    }
                    shares.forEach(x -> b.allowWritableShare(String.valueOf(x).trim()));
                }
                default -> throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "unknown parameter '" + e.getKey()
                        + "' (known: memory, cpus, disk_size, driver, keep_on_failure, snapshot, "
                        + "allow_write)");
            }
        }
        return b.build();
    }

    private static int intParam(String key, Object v) throws VboxmcpException {
        if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            long l = ((Number) v).longValue();
            if (l > 0 && l <= Integer.MAX_VALUE) {
                return (int) l;
            }
        } else if (v instanceof String s && s.matches("[1-9][0-9]{0,8}")) {
            return Integer.parseInt(s);
        }
        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "parameter '" + key + "' must be a positive whole number, got '"
                + v + "'");
    }

    /** Builder for {@link CreateVmRequest}. Not thread-safe. */
    public static final class Builder {
        private final String vmName;
        private final TemplateRef template;
        private Integer memoryMb;
        private Integer cpus;
        private Integer diskSizeMb;
        private String driverId;
        private final Map<String, String> hostPaths = new LinkedHashMap<>();
        private boolean keepOnFailure;
        private Duration readyTimeout;
        private ProgressListener progress = ProgressListener.NONE;
        private final java.util.Set<String> writableShares = new java.util.LinkedHashSet<>();
        private java.nio.file.Path lockFile;
        private boolean frozen;
        private SnapshotPolicy snapshots;

        private Builder(String vmName, TemplateRef template) {
            this.vmName = Objects.requireNonNull(vmName, "vmName");
            this.template = Objects.requireNonNull(template, "template");
        }

        /**
         * @param mb the VM's memory in MiB; below the template's {@code min_ram} the plan is refused
         * @return this builder
         */
        public Builder memoryMb(int mb) { this.memoryMb = mb; return this; }
        /**
         * @param n the VM's virtual CPUs; below the template's {@code min_cores} the plan is refused
         * @return this builder
         */
        public Builder cpus(int n) { this.cpus = n; return this; }
        /**
         * @param mb the VM's disk size in MiB; below the template's {@code min_disk} the plan is refused
         * @return this builder
         */
        public Builder diskSizeMb(int mb) { this.diskSizeMb = mb; return this; }
        /**
         * @param id the hypervisor driver to use ({@code qemu}, {@code virtualbox}); unset for the highest-priority
         *           available one
         * @return this builder
         */
        public Builder driver(String id) { this.driverId = id; return this; }
        /**
         * Overrides the host path of the template's shared folder {@code share}.
         *
         * @param share the shared folder's name in the template
         * @param path  the host folder; it must lie under a root the manager allows
         * @return this builder
         */
        public Builder hostPath(String share, String path) { hostPaths.put(share, path); return this; }
        /**
         * @param keep keep a VM whose provisioning failed (state FAILED) for inspection instead of destroying it
         * @return this builder
         */
        public Builder keepOnFailure(boolean keep) { this.keepOnFailure = keep; return this; }
        /**
         * @param t how long to wait for the guest's SSH and cloud-init; unset for the default
         * @return this builder
         */
        public Builder readyTimeout(Duration t) { this.readyTimeout = t; return this; }
        /**
         * @param l receives the create's progress events, never null
         * @return this builder
         */
        public Builder progress(ProgressListener l) { this.progress = Objects.requireNonNull(l); return this; }
        /**
         * Allows the template's shared folder {@code share} to be writable from the guest, if the template asks for
         * that; without it such a template is refused ({@link ErrorCode#POLICY_VIOLATION}).
         *
         * @param share the shared folder's name in the template
         * @return this builder
         */
        public Builder allowWritableShare(String share) { writableShares.add(Objects.requireNonNull(share)); return this; }

        /**
         * Resolves bases and features by this {@code vboxmcp.lock} instead of the template's own.
         *
         * @param file the lockfile, never null
         * @return this builder
         */
        public Builder lockFile(java.nio.file.Path file) { this.lockFile = Objects.requireNonNull(file); return this; }
        /**
         * Fails unless the lockfile is exactly what resolution gives now (see {@link CreateVmRequest#frozen()}).
         *
         * @param on whether to require an exact lockfile
         * @return this builder
         */
        public Builder frozen(boolean on) { this.frozen = on; return this; }

        /**
         * Whether to restore from and save ready snapshots.
         *
         * @param policy the policy; null (the default) for the manager's
         * @return this builder
         */
        public Builder snapshots(SnapshotPolicy policy) { this.snapshots = policy; return this; }

        /** @return the request with the options set so far */
        public CreateVmRequest build() {
            return new CreateVmRequest(vmName, template, memoryMb, cpus, diskSizeMb, driverId, hostPaths, keepOnFailure,
                    readyTimeout, progress, writableShares, lockFile, frozen, snapshots);
        }
    }
}
