package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a ready snapshot's files so that what QEMU gets is what was checked, although a writer of the cache may
 * swap or rewrite them at any moment (ART-05). The state is read from one open file (a rename cannot reach an open
 * file) and streamed into QEMU's incoming socket a chunk at a time, each chunk only after the very bytes read for it
 * hashed to its listed digest ({@link #streamVerified}; a rewrite in place stops the stream before the chunk it
 * touched). Snapshots saved without a chunk list: hashed whole, then streamed while hashed again, and the clone
 * resumes only if that second digest matches too. The frozen disk is hashed
 * through QEMU's own descriptor ({@code /proc/<pid>/fd/<n>}), so the digest is of the very file QEMU opened. The
 * state's first hash goes by its path: a swap there changes the second one.
 */
final class SnapshotFiles {
    private static final int CHUNK = 1 << 20;
    /** How much of the state is checked before QEMU gets it (two such buffers are held while streaming). */
    static final int STATE_CHUNK = 32 << 20;

    private SnapshotFiles() {
    }

    /** @return {@code sha256:<hex>} of the file (through {@code openssl} when there is one: see {@link Sha256}) */
    static String sha256(Path f) throws IOException {
        try (Sha256 md = Sha256.start(); InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[CHUNK];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, n);
                interruptible(f.toString());
            }
            return md.digest();
        }
    }

    /**
     * Writes all of {@code in} from its start into the unix socket {@code socket} (QEMU's {@code -incoming}).
     *
     * @return the digest of exactly the bytes written
     */
    static String streamHashing(FileChannel in, Path socket) throws IOException {
        byte[] buf = new byte[CHUNK];
        ByteBuffer wrapped = ByteBuffer.wrap(buf);
        try (Sha256 md = Sha256.start(); SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            out.connect(UnixDomainSocketAddress.of(socket));
            long pos = 0;
            wrapped.clear();
            for (int n; (n = in.read(wrapped, pos)) > 0; pos += n) {
                md.update(buf, n);
                wrapped.flip();
                while (wrapped.hasRemaining()) {
                    out.write(wrapped);
                }
                wrapped.clear();
            }
            return md.digest();
        }
    }

    /**
     * @return the digest ({@code sha256:<hex>}) of each {@link #STATE_CHUNK} bytes of {@code f} (the last one shorter),
     *         one per line: what {@link #streamVerified} checks each chunk against
     */
    static String chunkDigests(Path f) throws IOException {
        StringBuilder out = new StringBuilder();
        byte[] buf = new byte[STATE_CHUNK];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.readNBytes(buf, 0, STATE_CHUNK)) > 0; ) {
                try (Sha256 md = Sha256.start()) {
                    md.update(buf, n);
                    out.append(md.digest()).append('\n');
                }
                interruptible(f.toString());
            }
        }
        return out.toString();
    }

    /**
     * Writes the state from the open file {@code in} into QEMU's incoming socket one chunk at a time, each chunk only
     * after the bytes read for it hashed to its digest in {@code chunks} (ART-05: QEMU never parses an unchecked byte,
     * and what it gets is exactly what was hashed, whatever happens to the file meanwhile). One thread reads and
     * hashes the next chunk while this one writes the last, so the state is read once and QEMU starts loading after
     * one chunk's check instead of the whole file's.
     *
     * @param chunks the digests of {@link #chunkDigests}, already checked against the record
     * @throws VboxmcpException {@code DIGEST_MISMATCH} naming the chunk that did not match or could not be read whole
     */
    static void streamVerified(FileChannel in, List<String> chunks, Path socket) throws IOException, VboxmcpException {
        long size = in.size();
        if (chunks.isEmpty() || (size + STATE_CHUNK - 1) / STATE_CHUNK != chunks.size()) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot state has " + size + " bytes, which do not fit "
                    + "the " + chunks.size() + " chunk digests of its chunk list (truncated or grown)");
        }
        java.util.concurrent.BlockingQueue<byte[]> free = new java.util.concurrent.ArrayBlockingQueue<>(2);
        free.add(new byte[STATE_CHUNK]);
        free.add(new byte[STATE_CHUNK]);
        java.util.concurrent.BlockingQueue<Object> ready = new java.util.concurrent.ArrayBlockingQueue<>(2);
        Thread reader = new Thread(() -> {
            try {
                for (int i = 0; i < chunks.size(); i++) {
                    byte[] buf = free.take();
                    int len = (int) Math.min(STATE_CHUNK, size - (long) i * STATE_CHUNK);
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, len);
                    long pos = (long) i * STATE_CHUNK;
                    while (b.hasRemaining()) {
                        if (in.read(b, pos + b.position()) < 0) {
                            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot state ended in chunk "
                                    + i + " of " + chunks.size());
                        }
                    }
                    String got;
                    try (Sha256 md = Sha256.start()) {
                        md.update(buf, len);
                        got = md.digest();
                    }
                    if (!got.equals(chunks.get(i))) {
                        throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot state chunk " + i + " of "
                                + chunks.size() + " has digest " + got + ", expected " + chunks.get(i));
                    }
                    ready.put(new Chunk(buf, len));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (VboxmcpException | IOException | RuntimeException e) {
                ready.offer(e);
            }
        }, "vboxmcp-state-reader");
        reader.setDaemon(true);
        reader.start();
        try (SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            out.connect(UnixDomainSocketAddress.of(socket));
            for (int i = 0; i < chunks.size(); i++) {
                Object next = ready.take();
                if (next instanceof VboxmcpException e) {
                    throw e;
                }
                if (next instanceof IOException e) {
                    throw e;
                }
                if (next instanceof RuntimeException e) {
                    throw e;
                }
                Chunk c = (Chunk) next;
                ByteBuffer b = ByteBuffer.wrap(c.buf(), 0, c.len());
                while (b.hasRemaining()) {
                    out.write(b);
                }
                free.add(c.buf());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("streaming the ready snapshot state");
        } finally {
            reader.interrupt();
        }
    }

    private record Chunk(byte[] buf, int len) { }

    /**
     * @return {@code /proc/<pid>/fd/<n>} of the one descriptor of process {@code pid} open on {@code file}
     * @throws VboxmcpException {@code DIGEST_MISMATCH} if the process holds none or several (the file was replaced
     *                          or renamed after the process opened it)
     */
    static Path openedBy(long pid, Path file) throws VboxmcpException {
        List<Path> found = new ArrayList<>();
        try {
            String want = file.toRealPath().toString();
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
                for (Path fd : fds) {
                    try {
                        if (want.equals(Files.readSymbolicLink(fd).toString())) {
                            found.add(fd);
                        }
                    } catch (IOException closed) {
                        // a descriptor closed while listing
                    }
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "could not find " + file + " among the files QEMU ("
                    + pid + ") opened: " + e.getMessage(), e);
        }
        if (found.size() != 1) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "QEMU (" + pid + ") holds " + found.size()
                    + " descriptors of " + file + ", expected 1: the file was replaced after QEMU opened it");
        }
        return found.get(0);
    }

    private static void interruptible(String what) throws InterruptedIOException {
        if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException("hashing " + what);
        }
    }

}
