package io.vboxmcp.qemu.internal;

import io.vboxmcp.HypervisorException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes a cloud-init NoCloud seed: an ISO 9660 volume labelled {@code cidata} holding {@code meta-data} and
 * {@code user-data}. Stock Ubuntu/Debian cloud images and the vboxmcp test image read the same seed.
 */
final class SeedIso {
    private final String tool;

    SeedIso(String tool) {
        this.tool = tool;
    }

    static Optional<String> findTool() {
        for (String t : List.of("genisoimage", "mkisofs", "xorriso")) {
            if (onPath(t)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    static boolean onPath(String cmd) {
        return Files2.which(cmd).isPresent();
    }

    static String metaData(String instanceId, String hostname) {
        return "instance-id: " + instanceId + "\nlocal-hostname: " + hostname + "\n";
    }

    /** #cloud-config for the subset vboxmcp needs: hostname, the per-VM key, root login when the user is root. */
    static String userData(String hostname, String user, String publicKey) {
        String key = yamlString(publicKey.strip());
        StringBuilder b = new StringBuilder("#cloud-config\n");
        b.append("hostname: ").append(hostname).append('\n');
        b.append("disable_root: ").append("root".equals(user) ? "false" : "true").append('\n');
        b.append("ssh_pwauth: false\n");
        b.append("ssh_authorized_keys:\n  - ").append(key).append('\n');
        if (!"root".equals(user)) {
            b.append("users:\n  - default\n  - name: ").append(user).append('\n')
                    .append("    sudo: ALL=(ALL) NOPASSWD:ALL\n")
                    .append("    ssh_authorized_keys:\n      - ").append(key).append('\n');
        }
        return b.toString();
    }

    private static String yamlString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    void write(Path iso, Path workDir, String instanceId, String hostname, String user, String publicKey)
            throws HypervisorException {
        if (publicKey.contains("\n") || instanceId.contains("\n") || !user.matches("[a-z_][a-z0-9_-]{0,31}")) {
            throw new HypervisorException(io.vboxmcp.ErrorCode.INVALID_ARGUMENT,
                    "SSH key, instance id or user not usable in a cloud-init seed", null);
        }
        try {
            Files.createDirectories(workDir);
            Files.writeString(workDir.resolve("meta-data"), metaData(instanceId, hostname));
            Files.writeString(workDir.resolve("user-data"), userData(hostname, user, publicKey));
            List<String> cmd = new ArrayList<>();
            cmd.add(tool);
            if (tool.endsWith("xorriso")) {
                cmd.addAll(List.of("-as", "mkisofs"));
            }
            cmd.addAll(List.of("-quiet", "-output", iso.toString(), "-volid", "cidata", "-joliet", "-rock",
                    workDir.resolve("user-data").toString(), workDir.resolve("meta-data").toString()));
            HostCommand.run(cmd, Duration.ofSeconds(30), "seed ISO (" + tool + ")");
        } catch (IOException e) {
            throw new HypervisorException("could not write the cloud-init seed: " + e.getMessage(), e);
        } finally {
            Files2.deleteTree(workDir);
        }
    }
}
