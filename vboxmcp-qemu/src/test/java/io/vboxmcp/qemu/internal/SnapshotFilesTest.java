package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The ready snapshot state's chunk-by-chunk verified streaming (ART-05) against a real unix socket standing in for
 * QEMU's {@code -incoming}: what arrives is exactly the file, and nothing of a chunk that does not match its digest.
 */
class SnapshotFilesTest {
    @TempDir
    Path tmp;

    @Test
    void streamVerified_sendsTheWholeFile_whenEveryChunkMatches() throws Exception {
        Path state = state(2 * SnapshotFiles.STATE_CHUNK + 12_345);
        List<String> chunks = List.of(SnapshotFiles.chunkDigests(state).strip().split("\n"));
        assertThat(chunks).hasSize(3).allMatch(d -> d.matches("sha256:[0-9a-f]{64}"));
        byte[] got = receive(state, chunks);
        assertThat(got).isEqualTo(Files.readAllBytes(state));
    }

    @Test
    void streamVerified_stopsBeforeTheChunkThatWasRewritten_ART05() throws Exception {
        Path state = state(3 * SnapshotFiles.STATE_CHUNK);
        List<String> chunks = List.of(SnapshotFiles.chunkDigests(state).strip().split("\n"));
        // rewritten in place after the list was made: the second chunk no longer matches
        try (FileChannel f = FileChannel.open(state, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(new byte[] {42}), SnapshotFiles.STATE_CHUNK + 7);
        }
        ByteArrayOutputStream qemu = new ByteArrayOutputStream();
        assertThatThrownBy(() -> receive(state, chunks, qemu)).isInstanceOfSatisfying(VboxmcpException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
            assertThat(e.getMessage()).contains("chunk 1 of 3");
        });
        assertThat(qemu.size()).as("only the first, checked chunk reached QEMU").isEqualTo(SnapshotFiles.STATE_CHUNK);
    }

    @Test
    void streamVerified_refusesAStateWhoseLengthDoesNotFitItsList_ART05() throws Exception {
        Path state = state(SnapshotFiles.STATE_CHUNK + 1);
        List<String> chunks = List.of(SnapshotFiles.chunkDigests(state).strip().split("\n"));
        Files.write(state, new byte[SnapshotFiles.STATE_CHUNK], StandardOpenOption.APPEND);  // one chunk more
        ByteArrayOutputStream qemu = new ByteArrayOutputStream();
        assertThatThrownBy(() -> receive(state, chunks, qemu)).isInstanceOfSatisfying(VboxmcpException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH));
        assertThat(qemu.size()).as("refused before a byte was sent").isZero();
    }

    private Path state(int size) throws IOException {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        Path f = tmp.resolve("state-" + size);
        Files.write(f, b);
        return f;
    }

    private byte[] receive(Path state, List<String> chunks) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        receive(state, chunks, got);
        return got.toByteArray();
    }

    /** Streams {@code state} into a socket whose other end copies everything into {@code got}. */
    private void receive(Path state, List<String> chunks, ByteArrayOutputStream got) throws Exception {
        Path sock = tmp.resolve("in-" + System.nanoTime() + ".sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<Void> qemu = CompletableFuture.runAsync(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer b = ByteBuffer.allocate(1 << 16);
                    while (c.read(b.clear()) >= 0) {
                        synchronized (got) {
                            got.write(b.array(), 0, b.position());
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (FileChannel in = FileChannel.open(state)) {
                SnapshotFiles.streamVerified(in, new ArrayList<>(chunks), sock);
            } catch (VboxmcpException | IOException e) {
                server.close();  // a refusal before connecting leaves the stand-in waiting in accept
                try {
                    qemu.get(30, TimeUnit.SECONDS);  // what was sent before the refusal is all copied
                } catch (java.util.concurrent.ExecutionException ignored) {
                    // accept was closed: nothing was sent
                }
                throw e;
            }
            qemu.get(30, TimeUnit.SECONDS);
        }
    }
}
