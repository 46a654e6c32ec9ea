package io.vboxmcp.core.internal.manager;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Watches a port for an SSH server's identification line ({@code SSH-}) while a guest boots, so the SSH client
 * connects only once a server answers (issue #13). Behind QEMU's user networking the host side accepts every
 * connection at once, and a connection made before the guest's network is up waits on QEMU's own SYN retries for
 * seconds; one attempt at a time therefore saw a banner up to several seconds late. The probe opens a fresh
 * connection every {@link #INTERVAL} and keeps at most {@link #MAX_OPEN} of them (each for up to
 * {@code MAX_OPEN * INTERVAL}, so a slow banner on a loaded host is still seen), and sends nothing. Not thread-safe.
 */
final class SshBannerProbe implements AutoCloseable {
    static final Duration INTERVAL = Duration.ofMillis(500);
    static final int MAX_OPEN = 8;
    private static final byte[] SSH = "SSH-".getBytes(StandardCharsets.US_ASCII);

    private final InetSocketAddress address;
    private final Selector selector;
    private final Deque<SelectionKey> open = new ArrayDeque<>();
    private long nextOpen = System.nanoTime();

    SshBannerProbe(String host, int port) throws IOException {
        this.address = new InetSocketAddress(host, port);
        this.selector = Selector.open();
    }

    /**
     * @param max how long to watch at most
     * @return true as soon as one connection received {@code SSH-}; false if none did within {@code max}
     */
    boolean awaitBanner(Duration max) throws IOException {
        long deadline = System.nanoTime() + max.toNanos();
        while (true) {
            long now = System.nanoTime();
            if (now - nextOpen >= 0) {
                openOne();
                nextOpen = now + INTERVAL.toNanos();
            }
            long wait = Math.min(nextOpen, deadline) - now;
            if (wait <= 0) {
                return false;
            }
            selector.select(Math.max(1, wait / 1_000_000));
            for (SelectionKey k : selector.selectedKeys()) {
                if (ready(k)) {
                    return true;
                }
            }
            selector.selectedKeys().clear();
        }
    }

    private void openOne() throws IOException {
        if (open.size() >= MAX_OPEN) {
            drop(open.removeFirst());
        }
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        try {
            SelectionKey k;
            if (ch.connect(address)) {
                k = ch.register(selector, SelectionKey.OP_READ, ByteBuffer.allocate(SSH.length));
            } else {
                k = ch.register(selector, SelectionKey.OP_CONNECT, ByteBuffer.allocate(SSH.length));
            }
            open.addLast(k);
        } catch (IOException e) {
            ch.close();  // refused at once (nothing listens yet): the next interval tries again
        }
    }

    /** @return true if this connection has shown the banner; closes it if it failed or showed something else */
    private boolean ready(SelectionKey k) throws IOException {
        SocketChannel ch = (SocketChannel) k.channel();
        ByteBuffer buf = (ByteBuffer) k.attachment();
        try {
            if (k.isValid() && k.isConnectable()) {
                ch.finishConnect();
                k.interestOps(SelectionKey.OP_READ);
                return false;
            }
            if (k.isValid() && k.isReadable()) {
                int n = ch.read(buf);
                if (n < 0) {
                    drop(k);  // the guest refused behind QEMU's forward: its sshd is not up yet
                    return false;
                }
                for (int i = 0; i < buf.position(); i++) {
                    if (buf.get(i) != SSH[i]) {
                        drop(k);
                        return false;
                    }
                }
                return !buf.hasRemaining();
            }
        } catch (IOException e) {
            drop(k);
        }
        return false;
    }

    private void drop(SelectionKey k) throws IOException {
        open.remove(k);
        k.cancel();
        k.channel().close();
    }

    @Override
    public void close() throws IOException {
        for (SelectionKey k : open) {
            k.channel().close();
        }
        open.clear();
        selector.close();
    }
}
