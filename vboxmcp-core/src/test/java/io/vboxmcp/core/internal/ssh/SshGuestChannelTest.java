package io.vboxmcp.core.internal.ssh;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.VboxmcpException;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.shell.ProcessShellFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Runs our client against a real SSH server (MINA) on 127.0.0.1 that executes commands with the host's /bin/sh. */
class SshGuestChannelTest {
    @TempDir
    Path tmp;
    private SshServer server;
    private SshKeys.SshKeyPair keys;

    @BeforeEach
    void startServer() throws Exception {
        keys = SshKeys.generate(tmp.resolve("ssh"), "test@vboxmcp");
        server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        SimpleGeneratorHostKeyProvider hostKeys = new SimpleGeneratorHostKeyProvider(tmp.resolve("hostkey"));
        hostKeys.setAlgorithm("EC");
        server.setKeyPairProvider(hostKeys);
        server.setPublickeyAuthenticator((user, key, session) -> key.equals(keys.keyPair().getPublic()));
        server.setCommandFactory((channel, command) -> new ProcessShellFactory(command, "/bin/sh", "-c", command)
                .createShell(channel));
        server.start();
    }

    @AfterEach
    void stopServer() throws Exception {
        server.stop(true);
    }

    private SshGuestChannel connect() throws VboxmcpException {
        return SshGuestChannel.connect("127.0.0.1", server.getPort(), System.getProperty("user.name"), keys.keyPair(),
                tmp.resolve("pin"), Duration.ofSeconds(20));
    }

    @Test
    void exec_returnsOutputAndExitCode() throws Exception {
        try (SshGuestChannel ch = connect()) {
            ExecResult r = ch.exec(GuestCommand.of("echo out; echo err >&2; exit 3"));
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.stdout()).isEqualTo("out\n");
            assertThat(r.stderr()).isEqualTo("err\n");
            assertThat(r.timedOut()).isFalse();
        }
    }

    @Test
    void exec_appliesEnvironmentAndWorkingDirectoryWithQuoting() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("work dir"));
        try (SshGuestChannel ch = connect()) {
            ExecResult r = ch.exec(GuestCommand.of("pwd; printf '%s' \"$GREETING\"").withWorkingDir(dir.toString())
                    .withEnvironment(Map.of("GREETING", "it's \"quoted\" $HOME")));
            assertThat(r.stdout()).isEqualTo(dir + "\nit's \"quoted\" $HOME");
        }
    }

    @Test
    void exec_streamsLinesToTheListener() throws Exception {
        List<String> lines = new ArrayList<>();
        try (SshGuestChannel ch = connect()) {
            ch.exec(GuestCommand.of("echo one; echo two; printf three").withOutput(lines::add));
        }
        assertThat(lines).containsExactly("one", "two", "three");
    }

    @Test
    void exec_killsCommandThatOutlivesItsTimeout_EXE03() throws Exception {
        try (SshGuestChannel ch = connect()) {
            long t0 = System.nanoTime();
            ExecResult r = ch.exec(GuestCommand.of("sleep 30").withTimeout(Duration.ofSeconds(1)));
            assertThat(r.timedOut()).isTrue();
            assertThat(r.exitCode()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
        }
    }

    @Test
    void exec_capsHugeOutput_EXE04() throws Exception {
        try (SshGuestChannel ch = connect()) {
            ExecResult r = ch.exec(GuestCommand.of("head -c 3000000 /dev/zero | tr '\\0' 'x'"));
            assertThat(r.truncated()).isTrue();
            assertThat(r.stdout().length()).isEqualTo(SshGuestChannel.OUTPUT_CAP);
            assertThat(r.exitCode()).isZero();
        }
    }

    @Test
    void upload_writesFileWithMode() throws Exception {
        Path target = tmp.resolve("sub/dir/file.sh");
        try (SshGuestChannel ch = connect()) {
            ch.upload("#!/bin/sh\necho hi\n".getBytes(), target.toString(), 0755);
        }
        assertThat(Files.readString(target)).isEqualTo("#!/bin/sh\necho hi\n");
        assertThat(Files.isExecutable(target)).isTrue();
    }

    @Test
    void connect_pinsHostKeyAndRefusesAChangedOne() throws Exception {
        try (SshGuestChannel ch = connect()) {
            assertThat(Files.readString(tmp.resolve("pin")).trim()).isEqualTo(ch.hostKeyFingerprint()).startsWith("SHA256:");
        }
        try (SshGuestChannel again = connect()) {
            assertThat(again.exec(GuestCommand.of("true")).exitCode()).isZero();
        }
        Files.writeString(tmp.resolve("pin"), "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
        assertThatThrownBy(this::connect).isInstanceOf(VboxmcpException.class)
                .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID));
    }

    @Test
    void connect_failsWithTimeoutWhenNothingListens() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int p = port;
        assertThatThrownBy(() -> SshGuestChannel.connect("127.0.0.1", p, "root", keys.keyPair(), tmp.resolve("pin2"),
                Duration.ofSeconds(2))).satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.TIMEOUT));
    }

    /**
     * Issue #13: behind QEMU's user networking the host side accepts while the guest still boots and no SSH server
     * answers; an attempt must give up after the short answer timeout so that the readiness poll retries soon, not
     * sit on the stalled connection for the whole connect timeout.
     */
    @Test
    void connect_givesUpSoonWhenTheServerAcceptsButNeverIdentifies() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    java.net.Socket held = silent.accept();  // accepted, then silence: what slirp does while booting
                    Thread.sleep(60_000);
                    held.close();
                } catch (Exception ignored) {
                    // closed by the test
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            long start = System.nanoTime();
            assertThatThrownBy(() -> SshGuestChannel.connect("127.0.0.1", silent.getLocalPort(), "root", keys.keyPair(),
                    tmp.resolve("pin3"), Duration.ofSeconds(30), Duration.ofMillis(500)))
                    .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.TIMEOUT))
                    .hasMessageContaining("no SSH identification within 500 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            acceptor.interrupt();
        }
        assertThat(tmp.resolve("pin3")).doesNotExist();
    }

    @Test
    void keys_roundTripThroughOpenSshFormat() throws Exception {
        SshKeys.SshKeyPair loaded = SshKeys.load(keys.privateKey());
        assertThat(loaded.keyPair().getPublic()).isEqualTo(keys.keyPair().getPublic());
        assertThat(loaded.publicKeyLine()).startsWith("ssh-ed25519 ");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(keys.privateKey()))).isEqualTo("rw-------");
        // OpenSSH itself reads our private key and derives the same public key
        Process p = new ProcessBuilder("ssh-keygen", "-y", "-f", keys.privateKey().toString()).redirectErrorStream(true).start();
        String derived = new String(p.getInputStream().readAllBytes()).trim();
        assertThat(p.waitFor()).isZero();
        assertThat(keys.publicKeyLine()).startsWith(derived);
    }
}
