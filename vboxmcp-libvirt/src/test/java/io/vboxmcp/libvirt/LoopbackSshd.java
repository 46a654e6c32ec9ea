package io.vboxmcp.libvirt;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH {@code sshd} on 127.0.0.1 with its own host key and one authorized client key, for
 * {@code qemu+ssh://} tests. The client side is an {@code ssh} wrapper script (libvirt's {@code command=} URI
 * parameter) that pins the host key in its own known_hosts file and uses the client key, so nothing in
 * {@code ~/.ssh} is read or written. The wrapper shares one SSH connection between virsh calls (ControlMaster), as
 * docs/libvirt.md recommends for real hosts: without it every virsh call pays a handshake. Needs root (the fixture runs {@code /usr/sbin/sshd} in the foreground).
 */
public final class LoopbackSshd implements AutoCloseable {
    final Path dir;
    private final int port;
    final Path sshWrapper;
    private final Process process;

    private LoopbackSshd(Path dir, int port, Path sshWrapper, Process process) {
        this.dir = dir;
        this.port = port;
        this.sshWrapper = sshWrapper;
        this.process = process;
    }

    public static LoopbackSshd start() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("libvirt-sshd");
        keygen(dir.resolve("host_key"));
        keygen(dir.resolve("client_key"));
        Files.copy(dir.resolve("client_key.pub"), dir.resolve("authorized_keys"));
        Files.setPosixFilePermissions(dir.resolve("authorized_keys"), PosixFilePermissions.fromString("rw-------"));
        Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation folder
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("sshd_config"), String.join("\n", List.of(
                "ListenAddress 127.0.0.1", "Port " + port, "HostKey " + dir.resolve("host_key"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"), "PermitRootLogin prohibit-password",
                "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
                "PidFile none",
                // DEBUG1 logs each direct-tcpip request (originator, target): the proof a guest was reached through
                // this host as an SSH jump
                "LogLevel DEBUG1", "")));
        Files.writeString(dir.resolve("known_hosts"), "[127.0.0.1]:" + port + " "
                + Files.readString(dir.resolve("host_key.pub")));
        Path wrapper = dir.resolve("ssh");
        Files.writeString(wrapper, "#!/bin/sh\nexec ssh -o UserKnownHostsFile=" + dir.resolve("known_hosts")
                + " -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes -i " + dir.resolve("client_key")
                + " -o ControlMaster=auto -o ControlPersist=60 -o ControlPath=" + dir.resolve("cm-%C") + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        Process p = new ProcessBuilder("/usr/sbin/sshd", "-D", "-f", dir.resolve("sshd_config").toString(), "-E",
                dir.resolve("sshd.log").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("sshd.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return new LoopbackSshd(dir, port, wrapper, p);
            } catch (IOException notYet) {
                if (!p.isAlive()) {
                    break;
                }
                Thread.sleep(50);
            }
        }
        p.destroyForcibly();
        throw new IOException("sshd did not listen on 127.0.0.1:" + port + ": " + Files.readString(dir.resolve("sshd.out")));
    }

    /** @return the port sshd listens on (127.0.0.1) */
    public int port() {
        return port;
    }

    /** @return {@code qemu+ssh://root@127.0.0.1:<port>/system?command=<wrapper>} */
    public String uri() {
        return "qemu+ssh://root@127.0.0.1:" + port + "/system?command=" + sshWrapper;
    }

    /** @return the driver's jump settings for this sshd: the client key and the known_hosts file that pins it */
    public Map<String, String> jumpConfig() {
        return Map.of(LibvirtKeys.SSH_IDENTITY, dir.resolve("client_key").toString(),
                LibvirtKeys.SSH_KNOWN_HOSTS, dir.resolve("known_hosts").toString());
    }

    /** @return sshd's log so far */
    public String log() throws IOException {
        return Files.readString(dir.resolve("sshd.log"));
    }

    private static void keygen(Path key) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("ssh-keygen failed for " + key);
        }
    }

    @Override
    public void close() throws InterruptedException, IOException {
        // the shared connection's master process outlives the wrapper; end it before sshd
        Process exit = new ProcessBuilder(sshWrapper.toString(), "-O", "exit", "-p", Integer.toString(port),
                "root@127.0.0.1").redirectErrorStream(true).start();
        exit.getInputStream().readAllBytes();
        exit.waitFor(10, TimeUnit.SECONDS);
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        // keys, config and log: nothing of this sshd stays in /tmp
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
