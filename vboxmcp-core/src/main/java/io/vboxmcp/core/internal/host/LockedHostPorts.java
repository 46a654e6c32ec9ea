package io.vboxmcp.core.internal.host;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.HostPorts;

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
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one {@link HostPorts} of every driver (the rule the QEMU driver had, now shared). A port is free when it
 * binds, no other VM of this JVM holds it, and no other process holds its lock file
 * ({@code <lockDir>/<address>-<port>.lock}, an OS file lock, so a killed process frees its ports). The lock folder
 * is per user, not per vboxmcp home: two managers with different homes share the host's ports.
 */
public final class LockedHostPorts implements HostPorts {
    /** Held across every instance of this JVM: file locks are per process, so threads need this set too. */
    private static final Set<String> RESERVED = ConcurrentHashMap.newKeySet();
    private static final int ATTEMPTS = 64;
    private final Path lockDir;

    /** Locks in {@code ${java.io.tmpdir}/vboxmcp-<user>/ports}, the folder every vboxmcp process of the user shares. */
    public LockedHostPorts() {
        this(defaultLockDir());
    }

    public LockedHostPorts(Path lockDir) {
        this.lockDir = lockDir;
    }

    static Path defaultLockDir() {
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir")).resolve("vboxmcp-" + user).resolve("ports");
    }

    /** A held port; {@link #close()} gives it back. */
    private static final class Held implements HostPort {
        private final String key;
        private final String address;
        private final int port;
        private final FileChannel channel;
        private final FileLock lock;
        private boolean closed;

        private Held(String key, String address, int port, FileChannel channel, FileLock lock) {
            this.key = key;
            this.address = address;
            this.port = port;
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public String address() {
            return address;
        }

        @Override
        public int port() {
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

        @Override
        public String toString() {
            return address + ":" + port;
        }
    }

    @Override
    public HostPort allocate(String address) throws HypervisorException {
        try {
            for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                int port;
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(false);
                    s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
                    port = s.getLocalPort();
                }
                HostPort r = tryReserve(address, port);
                if (r != null) {
                    return r;
                }
            }
        } catch (IOException e) {
            throw new HypervisorException("cannot find a free port on " + address + ": " + e.getMessage(), e);
        }
        throw new HypervisorException("no free port on " + address + " after " + ATTEMPTS + " attempts");
    }

    @Override
    public Optional<HostPort> reserve(String address, int port) throws HypervisorException {
        if (port < 1 || port > 65535) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "host port " + port + " is not 1-65535", null);
        }
        if (!bindable(address, port)) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(tryReserve(address, port));
        } catch (IOException e) {
            throw new HypervisorException("cannot lock host port " + address + ":" + port + " in " + lockDir + ": "
                    + e.getMessage(), e);
        }
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

    private HostPort tryReserve(String address, int port) throws IOException {
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
            return new Held(key, address, port, ch, lock);
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
