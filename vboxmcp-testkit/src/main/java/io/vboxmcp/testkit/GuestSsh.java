package io.vboxmcp.testkit;

import io.vboxmcp.ExecResult;
import io.vboxmcp.spi.Machine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Commands in a test guest through the real OpenSSH client, for driver tests that have no manager (the
 * {@link HypervisorDriverCompatibilityKit}'s {@code guestExec}): an Ed25519 key made by {@code ssh-keygen}, each
 * command one {@code ssh} run in batch mode, the guest's host key pinned on first contact in a known-hosts file
 * the caller names (one per machine), so a machine that changes its key mid-test fails the command.
 *
 * @since 0.3.0
 */
public final class GuestSsh {
    private final Path privateKey;
    private final String publicKeyLine;

    private GuestSsh(Path privateKey, String publicKeyLine) {
        this.privateKey = privateKey;
        this.publicKeyLine = publicKeyLine;
    }

    /**
     * Makes a key pair with {@code ssh-keygen -t ed25519} (no passphrase).
     *
     * @param dir     where the key files go (created), never null
     * @param comment the key's comment, never null
     * @return the login, never null
     * @throws IOException if {@code ssh-keygen} fails
     * @throws InterruptedException if interrupted while it runs
     */
    public static GuestSsh generate(Path dir, String comment) throws IOException, InterruptedException {
        Path key = Files.createDirectories(dir).resolve("id_ed25519");
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("ssh-keygen failed: " + out);
        }
        return new GuestSsh(key, Files.readString(key.resolveSibling("id_ed25519.pub")).strip());
    }

    /** @return the {@code authorized_keys} line to inject into guests, never null */
    public String publicKeyLine() {
        return publicKeyLine;
    }

    /**
     * Runs {@code command} as {@code user} on the machine's forwarded SSH port.
     *
     * @param machine    the running machine, never null
     * @param user       the guest user the key is installed for, never null
     * @param knownHosts the file the machine's host key is pinned in (created on first contact), never null
     * @param command    a shell command, never null
     * @param timeout    how long the command may run; then {@code ssh} is killed and the result says timed out
     * @return exit code and output ({@code 255}: {@code ssh} itself failed, its message in stderr), never null
     * @throws IOException if {@code ssh} cannot be started
     * @throws InterruptedException if interrupted while it runs
     */
    public ExecResult exec(Machine machine, String user, Path knownHosts, String command, Duration timeout)
            throws IOException, InterruptedException {
        Files.createDirectories(knownHosts.toAbsolutePath().getParent());
        Path out = Files.createTempFile("guest-ssh-", ".out");
        Path err = Files.createTempFile("guest-ssh-", ".err");
        try {
            Process p = new ProcessBuilder(List.of("ssh", "-n", "-i", privateKey.toString(), "-p",
                    String.valueOf(machine.sshPort()), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                    "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=" + knownHosts,
                    "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=30", "-o", "LogLevel=ERROR",
                    user + "@" + machine.sshHost(), command))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            return new ExecResult(done ? p.exitValue() : -1, Files.readString(out), Files.readString(err), false, !done);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
