package io.vboxmcp.junit5;

import com.sun.net.httpserver.HttpServer;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The wait strategies against a real HTTP server on 127.0.0.1, through a stub of the one Vm they look at. */
class WaitTest {
    HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void forHttp_pollsUntilTheEndpointReturns200() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/health", ex -> {
            ex.sendResponseHeaders(calls.incrementAndGet() < 3 ? 503 : 200, -1);
            ex.close();
        });
        server.start();
        StubVm vm = new StubVm(Map.of(8000, server.getAddress().getPort()), "");
        Wait.parse("http:8000/health").waitUntilReady(vm, Duration.ofSeconds(20));
        assertThat(calls.get()).isEqualTo(3);
        Wait.parse("port:8000").waitUntilReady(vm, Duration.ofSeconds(5));
    }

    @Test
    void forPort_timesOutNamingWhatItWaitedFor() throws Exception {
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        StubVm vm = new StubVm(Map.of(8000, closed), "");
        long start = System.nanoTime();
        assertThatThrownBy(() -> Wait.forPort(8000).waitUntilReady(vm, Duration.ofMillis(600)))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT))
                .hasMessageContaining("port 8000 to accept connections");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThatThrownBy(() -> Wait.forPort(9000).waitUntilReady(vm, Duration.ofSeconds(1)))
                .hasMessageContaining("does not forward guest port 9000");
    }

    @Test
    void forLogLineAndForCommand_lookAtTheConsoleAndTheGuest() throws Exception {
        StubVm vm = new StubVm(Map.of(), "boot\nvboxmcp-guest: up (instance 1)\n");
        Wait.parse("log:guest: up \\(instance").waitUntilReady(vm, Duration.ofSeconds(1));
        assertThatThrownBy(() -> Wait.forLogLine("never printed").waitUntilReady(vm, Duration.ofMillis(300)))
                .hasMessageContaining("console line matching /never printed/");
        Wait.parse("command:true").waitUntilReady(vm, Duration.ofSeconds(1));
        assertThat(vm.commands).containsExactly("true");
    }

    @Test
    void parse_refusesWhatItDoesNotKnow() {
        for (String bad : new String[] {"tcp:80", "port:http", "http:", "command:", "log:", "port"}) {
            assertThatThrownBy(() -> Wait.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("port:N, http:N/path, command:CMD or log:REGEX");
        }
    }

    /** The parts of a VM the wait strategies use: forwarded ports, the console, exec (exit 0 for "true"). */
    static final class StubVm implements Vm {
        final Map<Integer, Integer> ports;
        final String console;
        final java.util.List<String> commands = new java.util.concurrent.CopyOnWriteArrayList<>();

        StubVm(Map<Integer, Integer> ports, String console) {
            this.ports = ports;
            this.console = console;
        }

        @Override public String name() { return "stub"; }
        @Override public VmPlan plan() { throw new UnsupportedOperationException(); }
        @Override public VmState state() { return VmState.RUNNING; }
        @Override public Map<Integer, Integer> forwardedPorts() { return ports; }
        @Override public SshEndpoint sshEndpoint() { throw new UnsupportedOperationException(); }
        @Override public String consoleTail(int lines) { return console; }
        @Override public void stop() { }
        @Override public void start() { }
        @Override public void destroy() { }
        @Override public void close() { }

        @Override
        public ExecResult exec(GuestCommand command) {
            commands.add(command.command());
            return new ExecResult(command.command().equals("true") ? 0 : 1, "", "", false, false);
        }
    }
}
