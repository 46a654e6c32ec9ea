package io.vboxmcp.core.internal.host;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.spi.CloudInitSeed;
import io.vboxmcp.spi.SeedWriter;
import io.vboxmcp.core.internal.util.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one {@link SeedWriter} of every driver: the NoCloud seed as an ISO 9660 volume labelled {@code cidata},
 * written in Java by {@link Iso9660Writer}. Chosen over running {@code genisoimage} (what the QEMU driver did):
 * no host tool to install or find (VirtualBox hosts on Windows and macOS have none), no process or scratch folder,
 * equal input gives equal bytes; the real {@code isoinfo}/{@code blkid}, the test guest's cloud-init and Debian's
 * cloud-init read it. The values are validated and written as double-quoted YAML scalars, so nothing a template or
 * a caller names becomes cloud-config syntax.
 */
public final class NoCloudSeedWriter implements SeedWriter {
    private static final String USER = "[a-z_][a-z0-9_-]{0,31}";
    private final Clock clock;

    public NoCloudSeedWriter() {
        this(Clock.systemUTC());
    }

    /** @param clock the time recorded in the volume's timestamps */
    public NoCloudSeedWriter(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void write(CloudInitSeed seed, Path iso) throws HypervisorException {
        try {
            AtomicFiles.write(iso, iso(seed, ZonedDateTime.now(clock)));
        } catch (IOException e) {
            throw new HypervisorException(ErrorCode.IO, "could not write the cloud-init seed " + iso + ": "
                    + e.getMessage(), e);
        }
    }

    /** @return the ISO image bytes */
    static byte[] iso(CloudInitSeed seed, ZonedDateTime time) throws HypervisorException {
        check(seed);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("meta-data", metaData(seed).getBytes(StandardCharsets.UTF_8));
        files.put("user-data", userData(seed).getBytes(StandardCharsets.UTF_8));
        return Iso9660Writer.write("cidata", files, time);
    }

    private static void check(CloudInitSeed seed) throws HypervisorException {
        if (badLine(seed.sshPublicKey().strip()) || badLine(seed.instanceId()) || badLine(seed.hostname())
                || !seed.user().matches(USER)) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT,
                    "SSH key, instance id, host name or user not usable in a cloud-init seed", null);
        }
    }

    private static boolean badLine(String s) {
        return s.isEmpty() || s.chars().anyMatch(c -> c < 0x20 && c != '\t');
    }

    static String metaData(CloudInitSeed seed) {
        return "instance-id: " + yamlString(seed.instanceId()) + "\nlocal-hostname: " + yamlString(seed.hostname()) + "\n";
    }

    /** #cloud-config for the subset vboxmcp needs: host name, the per-VM key, root login only when the user is root. */
    static String userData(CloudInitSeed seed) {
        String key = yamlString(seed.sshPublicKey().strip());
        boolean root = "root".equals(seed.user());
        StringBuilder b = new StringBuilder("#cloud-config\n");
        b.append("hostname: ").append(yamlString(seed.hostname())).append('\n');
        b.append("disable_root: ").append(root ? "false" : "true").append('\n');
        b.append("ssh_pwauth: false\n");
        b.append("ssh_authorized_keys:\n  - ").append(key).append('\n');
        if (!root) {
            b.append("users:\n  - default\n  - name: ").append(yamlString(seed.user())).append('\n')
                    .append("    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n")
                    .append("    shell: /bin/sh\n")
                    .append("    lock_passwd: true\n")
                    .append("    ssh_authorized_keys:\n      - ").append(key).append('\n');
        }
        return b.toString();
    }

    /** Double-quoted YAML scalar (the values are single lines already). */
    static String yamlString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
