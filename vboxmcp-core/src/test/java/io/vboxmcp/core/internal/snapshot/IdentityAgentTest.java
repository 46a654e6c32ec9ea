package io.vboxmcp.core.internal.snapshot;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.VboxmcpException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The host side of the identity agent against a real {@code /bin/sh}: the test plays QEMU's socket (the host end of
 * the port) and the agent's guest side (after {@code go} the rest of the bytes go to {@code sh -s}, its output
 * back), so the framing, the exit status, the line callback and the bounds are those of a real shell.
 */
class IdentityAgentTest {
    @TempDir
    Path tmp;

    private ServerSocketChannel server;
    private final List<Process> shells = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws IOException {
        shells.forEach(Process::destroyForcibly);
        if (server != null) {
            server.close();
        }
    }

    @Test
    void run_returnsTheScriptsStatusAndOutput_andStreamsEachLine() throws Exception {
        try (SocketChannel port = connectToShell(tmp.resolve("a.sock"))) {
            List<String> seen = new CopyOnWriteArrayList<>();
            ExecResult r = IdentityAgent.run(port, "set -e\necho one\necho two >&2\ncase x in x) echo three;; esac\nexit 3\n"
                    .getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(20), seen::add);
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.stdout()).isEqualTo("one\ntwo\nthree\n");
            assertThat(seen).containsExactly("one", "two", "three");
        }
    }

    @Test
    void run_failingCommandUnderSetE_reportsItsStatus() throws Exception {
        try (SocketChannel port = connectToShell(tmp.resolve("b.sock"))) {
            ExecResult r = IdentityAgent.run(port, "set -e\nfalse\necho not-reached\n".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(20), null);
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.stdout()).doesNotContain("not-reached");
        }
    }

    @Test
    void run_scriptOutlivingItsTimeout_isATimeout_inBoundedTime() throws Exception {
        try (SocketChannel port = connectToShell(tmp.resolve("c.sock"))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> IdentityAgent.run(port, "echo started\nsleep 30\n".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(2), null))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
                        assertThat(e.getMessage()).contains("started");
                    });
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void run_portHungUpBeforeTheStatus_isATypedError() throws Exception {
        server = listen(tmp.resolve("d.sock"));
        CompletableFuture<Void> hangUp = CompletableFuture.runAsync(() -> {
            try (SocketChannel guest = server.accept()) {
                readScript(Channels.newInputStream(guest));
                guest.write(ByteBuffer.wrap("half a line".getBytes(StandardCharsets.US_ASCII)));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try (SocketChannel port = SocketChannel.open(UnixDomainSocketAddress.of(tmp.resolve("d.sock")))) {
            assertThatThrownBy(() -> IdentityAgent.run(port, "true\n".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(20), null))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
                        assertThat(e.getMessage()).contains("hung up");
                    });
        }
        hangUp.get(10, TimeUnit.SECONDS);
    }

    @Test
    void dismiss_sendsByeAndHangsUp() throws Exception {
        server = listen(tmp.resolve("e.sock"));
        CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
            try (SocketChannel guest = server.accept()) {
                return new String(Channels.newInputStream(guest).readAllBytes(), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        IdentityAgent.dismiss(SocketChannel.open(UnixDomainSocketAddress.of(tmp.resolve("e.sock"))));
        assertThat(received.get(10, TimeUnit.SECONDS)).isEqualTo("bye\n");
    }

    @Test
    void startCommand_withoutThePort_startsNothingAndSucceeds() throws Exception {
        // this host has no virtio port of that name: nothing is started and nothing printed
        Process p = new ProcessBuilder("/bin/sh", "-c", IdentityAgent.startCommand("io.vboxmcp.no-such-port"))
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
    }

    /** Plays QEMU's end and the guest's agent: after "go", the bytes go to a real {@code sh -s}. */
    private SocketChannel connectToShell(Path socket) throws IOException {
        server = listen(socket);
        // own threads: the common pool may have one thread on a 2-core machine, and these block
        Thread t = new Thread(() -> {
            try (SocketChannel guest = server.accept()) {
                // the channel itself, not Channels' streams: those lock one another out on a blocking channel
                ByteBuffer one = ByteBuffer.allocate(1);
                ByteArrayOutputStream first = new ByteArrayOutputStream();
                while (guest.read(one.clear()) > 0 && one.get(0) != '\n') {
                    first.write(one.get(0));
                }
                assertThat(first.toString(StandardCharsets.US_ASCII)).isEqualTo("go");
                Process sh = new ProcessBuilder("/bin/sh", "-s").redirectErrorStream(true).start();
                shells.add(sh);
                Thread back = new Thread(() -> {
                    byte[] buf = new byte[8192];
                    try (InputStream fromShell = sh.getInputStream()) {
                        for (int n; (n = fromShell.read(buf)) >= 0; ) {
                            ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                            while (b.hasRemaining()) {
                                guest.write(b);
                            }
                        }
                    } catch (IOException ignored) {
                        // the test ended
                    }
                });
                back.start();
                try (OutputStream toShell = sh.getOutputStream()) {
                    ByteBuffer buf = ByteBuffer.allocate(8192);
                    for (int n; (n = guest.read(buf.clear())) >= 0; ) {
                        toShell.write(buf.array(), 0, n);
                        toShell.flush();  // the process's stdin is buffered: the script must reach sh now
                    }
                } catch (IOException ignored) {
                    // the shell exited
                }
                sh.waitFor(30, TimeUnit.SECONDS);
                back.join(30_000);
            } catch (Exception ignored) {
                // the test closed the port
            }
        });
        t.setDaemon(true);
        t.start();
        return SocketChannel.open(UnixDomainSocketAddress.of(socket));
    }

    /** Reads what {@link IdentityAgent#run} sends, up to its final {@code exit} line. */
    private static void readScript(InputStream in) throws IOException {
        StringBuilder got = new StringBuilder();
        for (int c; !got.toString().endsWith("; exit\n") && (c = in.read()) >= 0; ) {
            got.append((char) c);
        }
    }

    private static ServerSocketChannel listen(Path socket) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(socket));
        return s;
    }
}
