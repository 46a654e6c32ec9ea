package io.vboxmcp.core.internal.verify;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/** The SSH wire encoding (RFC 4251 §5): bounded reads that fail with {@link IllegalArgumentException}, never AIOOBE. */
final class SshWire {
    private SshWire() {
    }

    static final class Reader {
        private final byte[] b;
        private int pos;

        Reader(byte[] b) {
            this.b = b;
        }

        long uint32() {
            need(4);
            long v = ((b[pos] & 0xffL) << 24) | ((b[pos + 1] & 0xffL) << 16) | ((b[pos + 2] & 0xffL) << 8) | (b[pos + 3] & 0xffL);
            pos += 4;
            return v;
        }

        byte[] string() {
            long len = uint32();
            if (len > b.length - pos) throw new IllegalArgumentException("truncated: field of " + len + " bytes past the end");
            byte[] out = new byte[(int) len];
            System.arraycopy(b, pos, out, 0, (int) len);
            pos += (int) len;
            return out;
        }

        String utf8() {
            return new String(string(), StandardCharsets.UTF_8);
        }

        BigInteger mpint() {
            byte[] v = string();
            return v.length == 0 ? BigInteger.ZERO : new BigInteger(v);
        }

        byte[] raw(int n) {
            need(n);
            byte[] out = new byte[n];
            System.arraycopy(b, pos, out, 0, n);
            pos += n;
            return out;
        }

        boolean atEnd() {
            return pos == b.length;
        }

        int remaining() {
            return b.length - pos;
        }

        private void need(int n) {
            if (n < 0 || n > b.length - pos) throw new IllegalArgumentException("truncated");
        }
    }

    static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer uint32(long v) {
            out.write((int) (v >>> 24));
            out.write((int) (v >>> 16));
            out.write((int) (v >>> 8));
            out.write((int) v);
            return this;
        }

        Writer string(byte[] v) {
            uint32(v.length);
            out.writeBytes(v);
            return this;
        }

        Writer string(String v) {
            return string(v.getBytes(StandardCharsets.UTF_8));
        }

        Writer mpint(BigInteger v) {
            return string(v.signum() == 0 ? new byte[0] : v.toByteArray());
        }

        Writer raw(byte[] v) {
            out.writeBytes(v);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
