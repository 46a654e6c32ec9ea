package io.vboxmcp.spi;

import java.util.Locale;
import java.util.Objects;

/**
 * What a cloud-init NoCloud seed tells a new guest: its instance id and host name ({@code meta-data}), and the
 * user whose {@code authorized_keys} gets the per-VM SSH key ({@code user-data}; root logs in directly, any other
 * user gets password-less sudo). Written by {@link SeedWriter}.
 *
 * @param instanceId   the VM's instance id (a new one makes cloud-init treat the disk as a new instance), one line
 * @param hostname     the guest's host name, see {@link #hostname(String)}
 * @param user         the SSH user, {@code [a-z_][a-z0-9_-]{0,31}}
 * @param sshPublicKey one {@code authorized_keys} line
 *
 * @since 0.2.0
 */
public record CloudInitSeed(String instanceId, String hostname, String user, String sshPublicKey) {
    /**
     * Checks the components (see the type's description).
     *
     * @param instanceId as described above
     * @param hostname as described above
     * @param user as described above
     * @param sshPublicKey as described above
     */
    public CloudInitSeed {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(sshPublicKey, "sshPublicKey");
    }

    /**
     * @param vmName any VM name, never null
     * @return a valid host name for it: lower case, {@code [a-z0-9-]}, at most 63 characters, {@code vm} if nothing is left
     */
    public static String hostname(String vmName) {
        String h = vmName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        if (h.isEmpty()) {
            h = "vm";
        }
        return h.length() > 63 ? h.substring(0, 63) : h;
    }
}
