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
 * swap or rewrite them at any moment (ART-05). The state is read from one open file: hashed, then streamed into
 * QEMU's incoming socket while it is hashed again, and the clone resumes only if that second digest matches too (a
 * rename cannot reach an open file; a rewrite in place changes the second digest). The frozen disk is hashed
 * through QEMU's own descriptor ({@code /proc/<pid>/fd/<n>}), so the digest is of the very file QEMU opened. The
 * state's first hash goes by its path: a swap there changes the second one.
 */
final class SnapshotFiles {
    private static final int CHUNK = 1 << 20;

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
