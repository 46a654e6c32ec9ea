package io.vboxmcp.cli.internal;

import io.vboxmcp.PackageMirrors;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.mcp.McpPolicy;
import io.vboxmcp.mcp.VboxmcpMcpServer;
import io.vboxmcp.qemu.QemuKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code mcp}: serves templates and VMs to AI agents over the Model Context Protocol, on stdio (what desktop agents
 * and IDEs launch) or Streamable HTTP on a loopback address, within the operator's policy file (docs/mcp.md).
 * Stdout carries only protocol messages; logs and progress go to stderr. On end of input, SIGINT or SIGTERM the
 * server's VMs are destroyed (unless the policy says {@code destroy_on_shutdown: false}).
 */
@Command(name = "mcp", header = "Serve templates and VMs to AI agents (MCP)",
        description = "Runs a Model Context Protocol server: on stdio by default, or Streamable HTTP with --http "
                + "(loopback only). What agents may do is the --policy file's (docs/mcp.md).")
final class McpCommand extends VboxmcpCommand.Sub {
    @Mixin
    MirrorOptions mirrorOptions = new MirrorOptions();

    @Option(names = "--http", paramLabel = "HOST:PORT", description = "Serve Streamable HTTP at http://HOST:PORT/mcp "
            + "instead of stdio; HOST must be a loopback address (127.0.0.1, ::1); PORT 0 picks a free one.")
    String http;

    @Option(names = "--policy", paramLabel = "FILE", description = "The operator's policy (YAML or JSON); default: "
            + "the built-in defaults (docs/mcp.md).")
    Path policyFile;

    @Option(names = "--state-file", paramLabel = "FILE", description = "Where the server records the VMs it owns "
            + "(default <home>/mcp/owned-vms.json), so the next server finds what a crashed one left.")
    Path stateFile;

    @Option(names = "--image-catalog", paramLabel = "FILE|URL", description = "Image catalog consulted first "
            + "(repeatable), as for create.")
    List<String> catalogs = new ArrayList<>();

    @Mixin
    ReadyTimeoutOption readyTimeout = new ReadyTimeoutOption();

    @Override
    int run(Session s) throws Exception {
        McpPolicy policy = policyFile == null ? McpPolicy.defaults()
                : McpPolicy.load(regularInput(policyFile, "policy file"));
        InetSocketAddress address = http == null ? null : address(http);
        Duration ready = readyTimeout.duration();
        List<String> uris = VmCommands.catalogUris(catalogs);
        PackageMirrors mirrors = mirrorOptions.mirrors();
        VmManager manager = s.manager(b -> {
            b.packageMirrors(mirrors);
            if (ready != null) {
                b.property(CoreKeys.READY_TIMEOUT, Long.toString(ready.toSeconds()));
            }
            if (!uris.isEmpty()) {
                b.property(CoreKeys.IMAGE_CATALOG, String.join(",", uris));
            }
            if (policy.shareRoot() != null) {
                // the server makes every share under this root; the manager refuses host folders anywhere else
                b.allowSharedFolderRoot(policy.shareRoot());
            }
            if (policy.restrictNetwork()) {
                b.property(QemuKeys.NETWORK_RESTRICT, "true");
            }
        });
        Path state = stateFile != null ? stateFile : s.home().resolve("mcp").resolve("owned-vms.json");
        String version = new VboxmcpCommand.Version().getVersion()[0].replaceFirst("^vboxmcp ", "");
        VboxmcpMcpServer server = VboxmcpMcpServer.builder(manager).policy(policy).stateFile(state)
                .serverInfo("vboxmcp", version).build();
        AtomicBoolean closed = new AtomicBoolean();
        CountDownLatch stop = new CountDownLatch(1);
        Runnable close = () -> {
            if (closed.compareAndSet(false, true)) {
                server.close();
            }
        };
        // SIGTERM/SIGINT: the VMs an agent made must not outlive the server (unless the policy keeps them)
        Thread hook = new Thread(() -> {
            stop.countDown();
            close.run();
        }, "vboxmcp-mcp-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            if (address == null) {
                server.serveStdio(System.in, System.out).awaitEnd();
            } else {
                try (VboxmcpMcpServer.Http h = server.serveHttp(address)) {
                    s.err().println("vboxmcp mcp: serving " + h.uri());
                    s.err().flush();
                    // serves until stdin ends (a supervisor closing it) or a signal
                    Thread stdin = new Thread(() -> {
                        try {
                            System.in.transferTo(java.io.OutputStream.nullOutputStream());
                        } catch (java.io.IOException ignored) {
                            // treated as end of input
                        }
                        stop.countDown();
                    }, "vboxmcp-mcp-stdin");
                    stdin.setDaemon(true);
                    stdin.start();
                    stop.await();
                }
            }
        } finally {
            close.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
        return 0;
    }

    private InetSocketAddress address(String hostPort) throws VboxmcpException {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || !hostPort.substring(colon + 1).matches("[0-9]{1,5}")
                || Integer.parseInt(hostPort.substring(colon + 1)) > 65535) {
            throw usage("--http must be HOST:PORT, such as 127.0.0.1:8931");
        }
        String host = hostPort.substring(0, colon).replaceAll("^\\[(.*)]$", "$1");
        try {
            InetAddress a = InetAddress.getByName(host);
            if (!a.isLoopbackAddress()) {
                throw usage("--http must name a loopback address (127.0.0.1 or ::1): the MCP endpoint has no "
                        + "authentication, so anyone who reaches it drives the VMs");
            }
            return new InetSocketAddress(a, Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (UnknownHostException e) {
            throw usage("--http: unknown host '" + Session.safe(host) + "'");
        }
    }
}
