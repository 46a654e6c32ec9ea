package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Writes the cloud-init NoCloud seed (an ISO 9660 volume labelled {@code cidata} with {@code meta-data} and
 * {@code user-data}) on this host; the driver uploads it into the pool like any volume, so remote hosts need no
 * ISO tool. Kept in one class on purpose: core is getting a shared seed writer offered through the provider
 * context, and this class is what gets swapped for it.
 */
final class NoCloudSeed {
    private final String tool;

    NoCloudSeed(String tool) {
        this.tool = tool;
    }

    static Optional<String> findTool() {
        return Stream.of("genisoimage", "mkisofs", "xorriso").filter(NoCloudSeed::onPath).findFirst();
    }

    static boolean onPath(String cmd) {
        if (cmd.contains("/")) {
            return Files.isExecutable(Path.of(cmd));
        }
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        return Stream.of(path.split(File.pathSeparator)).anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, cmd)));
    }

    /** #cloud-config for what vboxmcp needs: hostname, the per-VM key, root login only when the user is root. */
    static String userData(String hostname, String user, String publicKey) {
        String key = "\"" + publicKey.strip().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
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

    /** Writes the seed ISO to {@code iso}; the work folder beside it is removed again. */
    void write(Path iso, String instanceId, String hostname, String user, String publicKey) throws HypervisorException {
        if (publicKey.contains("\n") || !instanceId.matches("[A-Za-z0-9_.:-]{1,128}")
                || !user.matches("[a-z_][a-z0-9_-]{0,31}")) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT,
                    "SSH key, instance id or user not usable in a cloud-init seed", null);
        }
        Path work = iso.resolveSibling(".seed-" + iso.getFileName());
        try {
            Files.createDirectories(work);
            Files.writeString(work.resolve("meta-data"), "instance-id: " + instanceId + "\nlocal-hostname: " + hostname + "\n");
            Files.writeString(work.resolve("user-data"), userData(hostname, user, publicKey));
            List<String> cmd = new ArrayList<>(List.of(tool));
            if (tool.endsWith("xorriso")) {
                cmd.addAll(List.of("-as", "mkisofs"));
            }
            cmd.addAll(List.of("-quiet", "-output", iso.toString(), "-volid", "cidata", "-joliet", "-rock",
                    work.resolve("user-data").toString(), work.resolve("meta-data").toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("out").toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new HypervisorException(ErrorCode.TIMEOUT, tool + " did not write the seed within 30 s", null);
            }
            if (p.exitValue() != 0) {
                throw new HypervisorException(tool + " failed (exit " + p.exitValue() + "): "
                        + Files.readString(work.resolve("out")).strip());
            }
        } catch (IOException e) {
            throw new HypervisorException("could not write the cloud-init seed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(ErrorCode.CANCELLED, "writing the cloud-init seed was interrupted", e);
        } finally {
            deleteTree(work);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a scratch folder inside the VM folder; destroy removes the folder's files too
        }
    }
}
