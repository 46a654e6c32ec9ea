package io.vboxmcp.core.internal.manager;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SshBannerProbe} against real listening sockets on 127.0.0.1 (what QEMU's forward looks like). */
class SshBannerProbeTest {

    /** Accepts every connection; from the {@code answerFrom}-th on writes {@code line}, earlier ones stay silent. */
    private static ServerSocket server(int answerFrom, String line, List<Socket> keep) throws IOException {
        ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        AtomicInteger n = new AtomicInteger();
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Socket s = ss.accept();
                    keep.add(s);
                    if (n.incrementAndGet() >= answerFrom) {
                        OutputStream out = s.getOutputStream();
                        out.write(line.getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    }
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        t.setDaemon(true);
        t.start();
        return ss;
    }

    @Test
    void awaitBanner_seesServerThatAnswersOnALaterConnection_whileEarlierOnesStaySilent() throws Exception {
        List<Socket> keep = new ArrayList<>();
        try (ServerSocket ss = server(3, "SSH-2.0-dropbear\r\n", keep);
             SshBannerProbe probe = new SshBannerProbe("127.0.0.1", ss.getLocalPort())) {
            long t0 = System.nanoTime();
            boolean seen = false;
            for (int i = 0; i < 10 && !seen; i++) {
                seen = probe.awaitBanner(Duration.ofSeconds(1));
            }
            assertTrue(seen, "the third connection answered with a banner");
            // connections 1 and 2 never answer: a new one every 500 ms finds the answering server without waiting
            // for the silent ones to time out
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(4).toNanos());
        }
    }

    @Test
    void awaitBanner_falseWithinItsBound_whenTheServerNeverSpeaks() throws Exception {
        List<Socket> keep = new ArrayList<>();
        try (ServerSocket ss = server(Integer.MAX_VALUE, "", keep);
             SshBannerProbe probe = new SshBannerProbe("127.0.0.1", ss.getLocalPort())) {
            long t0 = System.nanoTime();
            assertFalse(probe.awaitBanner(Duration.ofMillis(1200)));
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos());
        }
    }

    @Test
    void awaitBanner_false_whenTheServerIsNotSsh() throws Exception {
        List<Socket> keep = new ArrayList<>();
        try (ServerSocket ss = server(1, "HTTP/1.0 400 Bad Request\r\n", keep);
             SshBannerProbe probe = new SshBannerProbe("127.0.0.1", ss.getLocalPort())) {
            assertFalse(probe.awaitBanner(Duration.ofMillis(1200)));
        }
    }

    @Test
    void awaitBanner_false_whenNothingListens() throws Exception {
        int port;
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = ss.getLocalPort();
        }
        try (SshBannerProbe probe = new SshBannerProbe("127.0.0.1", port)) {
            assertFalse(probe.awaitBanner(Duration.ofMillis(700)));
        }
    }
}
