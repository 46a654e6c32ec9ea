package io.vboxmcp.git.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** The real {@code git daemon} serving every repository below a folder on 127.0.0.1, read-only. */
final class GitDaemon implements AutoCloseable {
    final int port;
    private final Process process;

    GitDaemon(Path basePath) throws IOException {
        this.port = freePort();
        this.process = new ProcessBuilder("git", "daemon", "--export-all", "--reuseaddr", "--base-path=" + basePath,
                "--listen=127.0.0.1", "--port=" + port, basePath.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        awaitListening(port, process);
    }

    String url(String repo) {
        return "git://127.0.0.1:" + port + "/" + repo;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Polls until the port accepts a connection (the process cannot tell us otherwise). */
    static void awaitListening(int port, Process process) throws IOException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (Instant.now().isBefore(deadline)) {
            if (process != null && !process.isAlive()) {
                throw new IOException("server process exited with " + process.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                try {
                    TimeUnit.MILLISECONDS.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
        throw new IOException("nothing listens on port " + port);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // git daemon forks one child per connection; they end when their client does
        process.descendants().forEach(ProcessHandle::destroy);
    }
}
