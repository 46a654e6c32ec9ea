package io.vboxmcp.mcp;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.mcp.internal.HttpHost;
import io.vboxmcp.mcp.internal.ServerCore;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A Model Context Protocol server that hands an AI agent templates and VMs as tools, within a {@link McpPolicy} the
 * operator wrote, on top of any {@link VmManager} (it uses only the public API).
 *
 * <pre>{@code
 * try (VmManager manager = VmManager.builder().build();
 *      VboxmcpMcpServer server = VboxmcpMcpServer.builder(manager)
 *              .policy(McpPolicy.load(Path.of("policy.yaml"))).build();
 *      VboxmcpMcpServer.Http http = server.serveHttp(new InetSocketAddress("127.0.0.1", 8931))) {
 *     System.out.println("MCP endpoint: " + http.uri());
 *     ...
 * }
 * }</pre>
 *
 * Tools: {@code search_templates describe_template plan_vm create_vm list_vms vm_status exec_in_vm copy_to_vm
 * copy_from_vm stop_vm destroy_vm}, each with input and output JSON Schemas; resources
 * {@code vboxmcp://templates/{name}/{version}}, {@code vboxmcp://vms/{name}}, {@code vboxmcp://policy}; prompts
 * {@code dev_vm} and {@code run_untrusted_code}. Every call is audited in the manager's audit log with the client's
 * name. An agent sees and touches only the VMs this server created; {@link #close()} destroys them (unless the
 * policy's {@code destroy_on_shutdown} is false). Thread-safe.
 *
 * @since 0.2.0
 */
public final class VboxmcpMcpServer implements AutoCloseable {
    private final ServerCore core;

    private VboxmcpMcpServer(ServerCore core) {
        this.core = core;
    }

    /**
     * @param manager the manager VMs are created with; the server does not close it
     * @return a builder with {@link McpPolicy#defaults()} and no state file
     */
    public static Builder builder(VmManager manager) {
        return new Builder(manager);
    }

    /**
     * Serves one client over a pair of streams (newline-delimited JSON-RPC, as MCP's stdio transport): returns at
     * once; {@link Stdio#awaitEnd()} blocks until the client closes {@code in}.
     *
     * @param in  the client's messages, never null
     * @param out where the answers go (nothing else may write to it), never null
     * @return the session, never null
     */
    public Stdio serveStdio(InputStream in, OutputStream out) {
        ServerCore.StdioSession s = core.serveStdio(Objects.requireNonNull(in, "in"), Objects.requireNonNull(out, "out"));
        return s::awaitEnd;
    }

    /**
     * Serves MCP's Streamable HTTP transport at {@code http://<address>/mcp}.
     *
     * @param address a loopback address (the transport has no authentication); port 0 picks a free one
     * @return the running endpoint, never null; closing it stops serving
     * @throws VboxmcpException {@link ErrorCode#INVALID_ARGUMENT} for a non-loopback address, {@link ErrorCode#IO} if
     *                          the port cannot be bound
     */
    public Http serveHttp(InetSocketAddress address) throws VboxmcpException {
        if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "the MCP HTTP server listens on loopback addresses"
                    + " only (127.0.0.1, ::1), not " + address.getHostString());
        }
        try {
            HttpHost host = core.serveHttp(address);
            URI uri = URI.create("http://" + (address.getAddress() instanceof java.net.Inet6Address ? "[::1]"
                    : "127.0.0.1") + ":" + host.port() + "/mcp");
            return new Http() {
                @Override
                public URI uri() {
                    return uri;
                }

                @Override
                public void close() {
                    host.close();
                }
            };
        } catch (Exception e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot serve MCP over HTTP on " + address + ": " + e.getMessage(), e);
        }
    }

    /** Cancels creates in flight and destroys the server's VMs if the policy says so. Idempotent enough: VMs go once. */
    @Override
    public void close() {
        core.close();
    }

    /** A stdio session. */
    @FunctionalInterface
    public interface Stdio {
        /** Blocks until the client closed the input stream, then ends the session. */
        void awaitEnd() throws InterruptedException;
    }

    /** A running Streamable HTTP endpoint. */
    public interface Http extends AutoCloseable {
        /** @return {@code http://127.0.0.1:<port>/mcp}, never null */
        URI uri();

        /** Stops serving; VMs stay until {@link VboxmcpMcpServer#close()}. */
        @Override
        void close();
    }

    /** Collects the server's settings. Not thread-safe. */
    public static final class Builder {
        private final VmManager manager;
        private McpPolicy policy = McpPolicy.defaults();
        private Path stateFile;
        private String name = "vboxmcp";
        private String version = "0.2.0";

        private Builder(VmManager manager) {
            this.manager = Objects.requireNonNull(manager, "manager");
        }

        /** The operator's policy; default {@link McpPolicy#defaults()}. */
        public Builder policy(McpPolicy p) {
            this.policy = Objects.requireNonNull(p, "policy");
            return this;
        }

        /**
         * Where the server keeps the names of the VMs it owns, so that a server started after a crash finds them
         * again (and destroys them, or adopts them when {@code destroy_on_shutdown} is false). Default: none.
         */
        public Builder stateFile(Path file) {
            this.stateFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /** The name and version the server reports to clients; default {@code vboxmcp}. */
        public Builder serverInfo(String serverName, String serverVersion) {
            this.name = Objects.requireNonNull(serverName, "serverName");
            this.version = Objects.requireNonNull(serverVersion, "serverVersion");
            return this;
        }

        /**
         * @return the server, after recovering the VMs a previous server left in the state file
         * @throws VboxmcpException if the policy names an unparseable template range
         */
        public VboxmcpMcpServer build() throws VboxmcpException {
            return new VboxmcpMcpServer(new ServerCore(manager, policy, stateFile, name, version));
        }
    }
}
