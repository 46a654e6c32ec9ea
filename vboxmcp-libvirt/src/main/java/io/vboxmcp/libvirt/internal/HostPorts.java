package io.vboxmcp.libvirt.internal;

import io.vboxmcp.HypervisorException;
import io.vboxmcp.PortForward;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Host ports for QEMU's user-mode forwards of one machine, held from create until libvirt's QEMU has bound them.
 * A port is free when it binds here, no other machine of this JVM holds it and no other process holds its lock
 * file ({@code <lockDir>/<address>-<port>.lock}, the same files the QEMU driver locks). Kept in one class on purpose:
 * core is getting a shared port allocator offered through the provider context, and this is what gets swapped.
 * For a remote libvirt host the bind check is only meaningful when the host is this one (loopback).
 */
final class HostPorts implements AutoCloseable {
    private static final Set<String> HELD = ConcurrentHashMap.newKeySet();
    private static final int ATTEMPTS = 64;

    /** guest port to host port, SSH (22) first */
    private final Map<Integer, Integer> ports;
    private final String sshAddress;
    private final List<Runnable> releases;

    private HostPorts(Map<Integer, Integer> ports, String sshAddress, List<Runnable> releases) {
        this.ports = ports;
        this.sshAddress = sshAddress;
        this.releases = releases;
    }

    /**
     * Reserves a host port for each planned forward (a free one where the plan says 0) and one for SSH if the plan
     * has none; on failure nothing stays reserved.
     */
    static HostPorts reserve(Path lockDir, List<PortForward> planned) throws HypervisorException {
        List<PortForward> forwards = new ArrayList<>(planned);
        if (forwards.stream().noneMatch(p -> p.guestPort() == 22)) {
            forwards.add(0, new PortForward(22, 0, "127.0.0.1"));
        }
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        List<Runnable> releases = new ArrayList<>();
        String sshAddress = "127.0.0.1";
        try {
            for (PortForward f : forwards) {
                if (ports.containsKey(f.guestPort())) {
                    continue;
                }
                int port = f.hostPort();
                Runnable release = null;
                for (int attempt = 0; attempt < ATTEMPTS && release == null; attempt++) {
                    int candidate = port != 0 ? port : freePort(f.hostAddress());
                    release = candidate > 0 ? hold(lockDir, f.hostAddress(), candidate) : null;
                    if (release != null) {
                        port = candidate;
                    } else if (f.hostPort() != 0) {
                        throw new HypervisorException("host port " + f.hostAddress() + ":" + f.hostPort()
                                + " (for guest port " + f.guestPort() + ") is already in use");
                    }
                }
                if (release == null) {
                    throw new HypervisorException("no free host port on " + f.hostAddress() + " after " + ATTEMPTS + " attempts");
                }
                releases.add(release);
                ports.put(f.guestPort(), port);
                if (f.guestPort() == 22) {
                    sshAddress = f.hostAddress();
                }
            }
        } catch (HypervisorException | RuntimeException e) {
            releases.forEach(Runnable::run);
            throw e;
        }
        return new HostPorts(ports, sshAddress, releases);
    }

    Map<Integer, Integer> ports() {
        return ports;
    }

    String sshAddress() {
        return sshAddress;
    }

    @Override
    public void close() {
        releases.forEach(Runnable::run);
    }

    private static int freePort(String address) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            return -1;
        }
    }

    /** @return how to release the port, or null if it is taken */
    private static Runnable hold(Path lockDir, String address, int port) throws HypervisorException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getByName(address), port));
        } catch (IOException e) {
            return null;
        }
        String key = address + ":" + port;
        if (!HELD.add(key)) {
            return null;
        }
        FileChannel ch = null;
        try {
            Files.createDirectories(lockDir);
            ch = FileChannel.open(lockDir.resolve(address.replace(':', '_') + "-" + port + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw new OverlappingFileLockException();
            }
            FileChannel held = ch;
            return () -> {
                try {
                    held.close();
                } catch (IOException ignored) {
                    // closing releases the lock; nothing else to do
                }
                HELD.remove(key);
            };
        } catch (IOException | OverlappingFileLockException e) {
            try {
                if (ch != null) {
                    ch.close();
                }
            } catch (IOException ignored) {
                // nothing was held
            }
            HELD.remove(key);
            if (e instanceof IOException io) {
                throw new HypervisorException("could not lock host port " + key + ": " + io.getMessage(), io);
            }
            return null;
        }
    }
}
