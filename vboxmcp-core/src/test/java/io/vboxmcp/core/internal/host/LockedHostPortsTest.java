package io.vboxmcp.core.internal.host;

import io.vboxmcp.spi.HostPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The one host port allocator of every driver, against real sockets and a real second process holding a lock. */
class LockedHostPortsTest {
    @TempDir
    Path locks;

    @Test
    void allocate_neverHandsOutAHeldPort_evenAcrossInstances() throws Exception {
        LockedHostPorts a = new LockedHostPorts(locks);
        LockedHostPorts b = new LockedHostPorts(locks);
        Set<Integer> seen = new HashSet<>();
        try (HostPort p1 = a.allocate("127.0.0.1"); HostPort p2 = b.allocate("127.0.0.1")) {
            seen.add(p1.port());
            seen.add(p2.port());
            assertThat(b.reserve("127.0.0.1", p1.port())).as("a port another instance holds").isEmpty();
        }
        assertThat(seen).hasSize(2);
    }

    @Test
    void reserve_refusesPortLockedByAnotherProcess_andTakesItOnceFreed() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            port = s.getLocalPort();
        }
        Path lockFile = locks.resolve("127.0.0.1-" + port + ".lock");
        // another process takes the same POSIX record lock (fcntl) a JVM's FileChannel.tryLock takes
        Files.createDirectories(locks);
        Process other = new ProcessBuilder("python3", "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'w'); "
                + "fcntl.lockf(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", lockFile.toString())
                .redirectErrorStream(true).start();
        try {
            InputStream out = other.getInputStream();
            assertThat(new String(out.readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("held\n");
            assertThat(new LockedHostPorts(locks).reserve("127.0.0.1", port)).as("locked by another process").isEmpty();
        } finally {
            other.destroy();
            assertThat(other.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        Optional<HostPort> mine = new LockedHostPorts(locks).reserve("127.0.0.1", port);
        assertThat(mine).as("free once the other process is gone").isPresent();
        mine.get().close();
        mine.get().close();
        assertThat(Files.exists(lockFile)).isTrue();
    }

    @Test
    void reserve_refusesPortBoundByAnotherProgram() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            assertThat(new LockedHostPorts(locks).reserve("127.0.0.1", taken.getLocalPort())).isEmpty();
        }
    }
}
