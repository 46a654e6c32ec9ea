package io.vboxmcp.qemu.internal;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A QMP (QEMU Machine Protocol) client over the VM's unix socket. Every read has a deadline so a wedged QEMU
 * cannot hang the caller.
 */
final class Qmp implements Closeable {
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final Duration timeout;

    private Qmp(SocketChannel channel, Selector selector, Duration timeout) {
        this.channel = channel;
        this.selector = selector;
        this.timeout = timeout;
    }

    /** Connects, reads the greeting and leaves capabilities negotiation mode. */
    static Qmp connect(Path socket, Duration timeout) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector sel = null;
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.configureBlocking(false);
            sel = Selector.open();
            ch.register(sel, SelectionKey.OP_READ);
            Qmp q = new Qmp(ch, sel, timeout);
            Map<String, Object> greeting = q.readMessage(System.nanoTime() + timeout.toNanos());
            if (!greeting.containsKey("QMP")) {
                throw new IOException("not a QMP greeting: " + greeting);
            }
            q.execute("qmp_capabilities");
            return q;
        } catch (IOException | RuntimeException e) {
            if (sel != null) {
                sel.close();
            }
            ch.close();
            throw e;
        }
    }

    /**
     * Runs a command and returns its {@code return} value.
     *
     * @throws IOException if QMP answered with an error, the connection closed or the deadline passed
     */
    Object execute(String command) throws IOException {
        return execute(command, null);
    }

    Object execute(String command, Map<String, Object> arguments) throws IOException {
        Map<String, Object> msg = arguments == null ? Map.of("execute", command)
                : Map.of("execute", command, "arguments", arguments);
        ByteBuffer out = ByteBuffer.wrap((Json.write(msg) + "\n").getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.hasRemaining()) {
            channel.write(out);
            if (out.hasRemaining() && System.nanoTime() > deadline) {
                throw new IOException("QMP write timed out");
            }
        }
        while (true) {
            Map<String, Object> reply = readMessage(deadline);
            if (reply.containsKey("return")) {
                return reply.get("return");
            }
            if (reply.containsKey("error")) {
                throw new IOException("QMP " + command + " failed: " + reply.get("error"));
            }
            // asynchronous events ({"event": ...}) are skipped
        }
    }

    private Map<String, Object> readMessage(long deadline) throws IOException {
        while (true) {
            String line = nextLine();
            if (line != null) {
                if (line.isEmpty()) {
                    continue;
                }
                try {
                    return Json.parseObject(line);
                } catch (IOException e) {
                    throw new IOException("unreadable QMP message: " + line, e);
                }
            }
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new IOException("QMP did not answer within " + timeout.toMillis() + " ms");
            }
            selector.select(left);
            selector.selectedKeys().clear();
            ByteBuffer in = ByteBuffer.allocate(8192);
            int n = channel.read(in);
            if (n < 0) {
                throw new IOException("QMP connection closed");
            }
            pending.write(in.array(), 0, n);
        }
    }

    private String nextLine() {
        byte[] buf = pending.toByteArray();
        for (int k = 0; k < buf.length; k++) {
            if (buf[k] == '\n') {
                pending.reset();
                pending.write(buf, k + 1, buf.length - k - 1);
                return new String(buf, 0, k, StandardCharsets.UTF_8).trim();
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
