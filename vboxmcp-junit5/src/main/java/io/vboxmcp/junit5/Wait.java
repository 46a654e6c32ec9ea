package io.vboxmcp.junit5;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The usual wait strategies, polled every {@value #POLL_MILLIS} ms until they succeed or their timeout ends. A port
 * or HTTP endpoint is reached from the host through the VM's forwarded port (the template must list the port).
 */
public final class Wait {
    static final long POLL_MILLIS = 250;

    private Wait() {
    }

    /** @return a strategy that succeeds once the forwarded {@code guestPort} accepts a TCP connection */
    public static WaitStrategy forPort(int guestPort) {
        return (vm, timeout) -> poll(vm, timeout, "port " + guestPort + " to accept connections", () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", hostPort(vm, guestPort)), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** @return a strategy that succeeds once {@code GET http://127.0.0.1:<forwarded guestPort><path>} returns 200 */
    public static WaitStrategy forHttp(int guestPort, String path) {
        String p = path.startsWith("/") ? path : "/" + path;
        return (vm, timeout) -> {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            URI uri = URI.create("http://127.0.0.1:" + hostPort(vm, guestPort) + p);
            poll(vm, timeout, "GET " + p + " on port " + guestPort + " to return 200", () -> {
                try {
                    HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build();
                    return client.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
        };
    }

    /** @return a strategy that succeeds once {@code command} exits 0 in the guest */
    public static WaitStrategy forCommand(String command) {
        return (vm, timeout) -> poll(vm, timeout, "'" + command + "' to succeed",
                () -> vm.exec(GuestCommand.of(command).withTimeout(Duration.ofSeconds(30))).exitCode() == 0);
    }

    /** @return a strategy that succeeds once a line of the guest's console matches {@code regex} (find) */
    public static WaitStrategy forLogLine(String regex) {
        Pattern p = Pattern.compile(regex);
        return (vm, timeout) -> poll(vm, timeout, "a console line matching /" + regex + "/",
                () -> vm.consoleTail(2000).lines().anyMatch(l -> p.matcher(l).find()));
    }

    /**
     * @param spec {@code port:N}, {@code http:N/path}, {@code command:CMD} or {@code log:REGEX}
     * @return the strategy {@code spec} names
     * @throws IllegalArgumentException if {@code spec} is none of these
     */
    public static WaitStrategy parse(String spec) {
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        String arg = colon < 0 ? "" : spec.substring(colon + 1);
        try {
            switch (kind) {
                case "port":
                    return forPort(Integer.parseInt(arg));
                case "http":
                    int slash = arg.indexOf('/');
                    return forHttp(Integer.parseInt(slash < 0 ? arg : arg.substring(0, slash)),
                            slash < 0 ? "/" : arg.substring(slash));
                case "command":
                    if (!arg.isBlank()) {
                        return forCommand(arg);
                    }
                    break;
                case "log":
                    if (!arg.isEmpty()) {
                        return forLogLine(arg);
                    }
                    break;
                default:
                    break;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("wait strategy '" + spec + "' is not port:N, http:N/path, command:CMD or log:REGEX");
    }

    /** A condition that may throw while the guest is not ready yet. */
    interface Condition {
        boolean test() throws VboxmcpException, IOException, InterruptedException;
    }

    static void poll(Vm vm, Duration timeout, String what, Condition condition)
            throws VboxmcpException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.test()) {
                    return;
                }
            } catch (IOException e) {
                // not ready yet
            }
            if (System.nanoTime() > deadline) {
                throw new VboxmcpException(ErrorCode.TIMEOUT, "VM " + vm.name() + ": waited " + timeout.toSeconds()
                        + " s for " + what);
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    private static int hostPort(Vm vm, int guestPort) throws VboxmcpException {
        return vm.hostPort(guestPort).orElseThrow(() -> new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "VM "
                + vm.name() + " does not forward guest port " + guestPort + " (the template's ports list it)"));
    }
}
