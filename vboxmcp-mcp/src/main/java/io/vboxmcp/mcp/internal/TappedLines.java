package io.vboxmcp.mcp.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The stdio transport's input seen through the {@link CancelTap}: newline-delimited JSON-RPC messages, each passed
 * through the tap before the SDK reads it. A line longer than {@code maxLine} bytes is dropped whole (and reported
 * on stderr), so one huge message costs bounded memory and never reaches a handler.
 */
final class TappedLines extends InputStream {
    private final InputStream in;
    private final CancelTap tap;
    private final int maxLine;
    private final java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
    private byte[] current = new byte[0];
    private int pos;

    TappedLines(InputStream in, CancelTap tap, int maxLine) {
        this.in = in;
        this.tap = tap;
        this.maxLine = maxLine;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (pos >= current.length) {
            if (!nextLine()) {
                return -1;
            }
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }

    /** Blocks until the input ended. */
    void awaitEnd() throws InterruptedException {
        end.await();
    }

    private boolean nextLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean tooLong = false;
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (line.size() < maxLine) {
                line.write(c);
            } else {
                tooLong = true;
            }
        }
        if (c < 0 && line.size() == 0) {
            end.countDown();
            return false;
        }
        if (tooLong) {
            System.err.println("vboxmcp mcp: dropped a message longer than " + maxLine + " bytes");
            current = new byte[0];
        } else {
            String filtered = tap.filter("stdio", line.toString(StandardCharsets.UTF_8));
            current = (filtered + "\n").getBytes(StandardCharsets.UTF_8);
        }
        pos = 0;
        return true;
    }
}
