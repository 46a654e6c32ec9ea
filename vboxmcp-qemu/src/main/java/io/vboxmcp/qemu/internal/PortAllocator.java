package io.vboxmcp.qemu.internal;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands out host ports for QEMU's user-mode forwards. A port is free when it binds, no other VM of this JVM holds
 * it, and no other process holds its lock file ({@code <lockDir>/<port>.lock}); the reservation is kept until
 * QEMU itself has bound the port (after {@code start}) or the machine is destroyed. Ports a process never reserved
 * this way (another program) are caught by the bind check; the race between check and QEMU's bind remains and
 * ends in a typed error from {@code start}.
 */
final class PortAllocator {
    private static final Set<String> RESERVED = ConcurrentHashMap.newKeySet();
    private static final int ATTEMPTS = 64;
    private final Path lockDir;

    PortAllocator(Path lockDir) {
        this.lockDir = lockDir;
    }

    /** A held port; {@link #close()} gives it back. */
    static final class Reservation implements Closeable {
        private final String key;
        private final int port;
        private final FileChannel channel;
        private final FileLock lock;
        private boolean closed;

        private Reservation(String key, int port, FileChannel channel, FileLock lock) {
            this.key = key;
            this.port = port;
            this.channel = channel;
            this.lock = lock;
        }

        int port() {
            return port;
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                lock.release();
            } catch (IOException ignored) {
                // the channel close below releases it too
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
            RESERVED.remove(key);
        }
    }

    /** Finds and reserves a free port on {@code address}. */
    Reservation allocate(String address) throws IOException {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
                port = s.getLocalPort();
            }
            Reservation r = tryReserve(address, port);
            if (r != null) {
                return r;
            }
        }
        throw new IOException("no free port on " + address + " after " + ATTEMPTS + " attempts");
    }

    /**
     * Reserves a port the caller asked for.
     *
     * @return null if it is taken (by another program, VM or process)
     */
    Reservation reserve(String address, int port) throws IOException {
        if (!bindable(address, port)) {
            return null;
        }
        return tryReserve(address, port);
    }

    static boolean bindable(String address, int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getByName(address), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private Reservation tryReserve(String address, int port) throws IOException {
        String key = address + ":" + port;
        if (!RESERVED.add(key)) {
            return null;
        }
        FileChannel ch = null;
        try {
            Files.createDirectories(lockDir);
            ch = FileChannel.open(lockDir.resolve(address.replace(':', '_') + "-" + port + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                ch.close();
                RESERVED.remove(key);
                return null;
            }
            return new Reservation(key, port, ch, lock);
        } catch (IOException | OverlappingFileLockException e) {
            if (ch != null) {
                ch.close();
            }
            RESERVED.remove(key);
            if (e instanceof IOException io) {
                throw io;
            }
            return null;
        }
    }
}
