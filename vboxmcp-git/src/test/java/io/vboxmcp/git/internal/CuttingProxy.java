package io.vboxmcp.git.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 that forwards to a target and, when armed, drops the connection after a number of
 * bytes from the server: an interrupted download, exactly as a network failure produces one.
 */
final class CuttingProxy implements AutoCloseable {
    final int port;
    private final ServerSocket server;
    private final int targetPort;
    volatile long cutAfterBytes = Long.MAX_VALUE;
    /** When positive, the server's bytes are passed on {@link #trickleChunk} at a time with this pause between. */
    volatile long trickleDelayMillis = 0;
    volatile int trickleChunk = 16;
    final AtomicLong cuts = new AtomicLong();

    CuttingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.port = server.getLocalPort();
        Thread t = new Thread(this::acceptLoop, "cutting-proxy");
        t.setDaemon(true);
        t.start();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress("127.0.0.1", targetPort), 5000);
                long limit = cutAfterBytes;
                pump(client.getInputStream(), upstream.getOutputStream(), Long.MAX_VALUE, client, upstream, 0, 0);
                pump(upstream.getInputStream(), client.getOutputStream(), limit, client, upstream, trickleDelayMillis, trickleChunk);
            } catch (IOException e) {
                // closed
            }
        }
    }

    private void pump(InputStream in, OutputStream out, long limit, Socket a, Socket b, long trickle, int chunk) {
        Thread t = new Thread(() -> {
            long sent = 0;
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    int allowed = (int) Math.min(n, limit - sent);
                    if (trickle > 0) {
                        for (int off = 0; off < allowed; off += chunk) {
                            out.write(buf, off, Math.min(chunk, allowed - off));
                            out.flush();
                            Thread.sleep(trickle);
                        }
                    } else {
                        out.write(buf, 0, allowed);
                        out.flush();
                    }
                    sent += allowed;
                    if (sent >= limit) {
                        cuts.incrementAndGet();
                        break;
                    }
                }
            } catch (IOException ignored) {
                // the other side went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close(a);
                close(b);
            }
        }, "cutting-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
