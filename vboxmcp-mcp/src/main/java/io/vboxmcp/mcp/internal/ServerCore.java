package io.vboxmcp.mcp.internal;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.mcp.McpPolicy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything behind {@link io.vboxmcp.mcp.VboxmcpMcpServer}: the tools, resources and prompts wired to one manager
 * and one policy, the VMs the server owns (recovered from the state file, destroyed when idle or at shutdown), and
 * the two transports.
 */
public final class ServerCore implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ServerCore.class);
    private static final int MAX_STDIO_LINE = HttpHost.MAX_BODY;

    private final VmManager manager;
    private final McpPolicy policy;
    private final String name;
    private final String version;
    private final PolicyGuard guard;
    private final OwnedVms owned;
    private final CancelTap tap = new CancelTap();
    private final ScheduledExecutorService reaper;

    public ServerCore(VmManager manager, McpPolicy policy, Path stateFile, String name, String version)
            throws VboxmcpException {
        this.manager = manager;
        this.policy = policy;
        this.name = name;
        this.version = version;
        this.guard = new PolicyGuard(policy);
        this.owned = new OwnedVms(policy, stateFile, Clock.systemUTC());
        recover();
        if (policy.idleDestroy() != null) {
            long period = Math.max(1, Math.min(60, policy.idleDestroy().toSeconds() / 4));
            reaper = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "vboxmcp-mcp-idle");
                t.setDaemon(true);
                return t;
            });
            reaper.scheduleWithFixedDelay(this::destroyIdle, period, period, TimeUnit.SECONDS);
        } else {
            reaper = null;
        }
    }

    /** VMs a previous server (crashed, or with destroy_on_shutdown false) left: destroyed or adopted again. */
    private void recover() {
        Auditor audit = new Auditor(manager.audit(), "-");
        for (String left : owned.leftOver()) {
            try {
                Optional<Vm> vm = manager.vm(left);
                if (vm.isEmpty()) {
                    continue;
                }
                if (policy.destroyOnShutdown()) {
                    vm.get().destroy();
                    guard.shares().release(left);
                    audit.record(null, "recover", "ok", Map.of("vm", left, "recovery", "destroyed"));
                } else {
                    OwnedVms.Entry e = owned.reserve(left, vm.get().plan().memoryMb(), vm.get().plan().cpus(),
                            vm.get().plan().diskMb());
                    e.vm = vm.get();
                    audit.record(null, "recover", "ok", Map.of("vm", left, "recovery", "adopted"));
                }
            } catch (VboxmcpException e) {
                LOG.warn("could not recover the VM '{}' a previous server left: {}", left, e.getMessage());
            }
        }
    }

    private void destroyIdle() {
        Auditor audit = new Auditor(manager.audit(), "-");
        for (OwnedVms.Entry e : owned.idle(policy.idleDestroy())) {
            try {
                e.vm.destroy();
                owned.release(e.name);
                guard.shares().release(e.name);
                audit.record(null, "idle_destroy", "ok", Map.of("vm", e.name,
                        "idle_seconds", String.valueOf(owned.idleFor(e).toSeconds())));
            } catch (VboxmcpException ex) {
                LOG.warn("could not destroy the idle VM '{}': {}", e.name, ex.getMessage());
            } catch (RuntimeException ex) {
                LOG.error("idle destroy of '{}' failed", e.name, ex);
            }
        }
    }

    /** Serves one client over {@code in}/{@code out}; returns at once, {@link StdioSession#awaitEnd()} waits. */
    public StdioSession serveStdio(InputStream in, OutputStream out) {
        TappedLines lines = new TappedLines(in, tap, MAX_STDIO_LINE);
        StdioServerTransportProvider transport = new StdioServerTransportProvider(McpJsonDefaults.getMapper(), lines, out);
        McpSyncServer server = configure(McpServer.sync(transport), "stdio");
        return new StdioSession(server, lines);
    }

    /** Serves Streamable HTTP at {@code http://address/mcp}; the address must be a loopback one. */
    public HttpHost serveHttp(InetSocketAddress address) throws Exception {
        AtomicInteger port = new AtomicInteger(address.getPort());
        HttpServletStreamableServerTransportProvider transport = HttpHost.transport(port::get);
        configure(McpServer.sync(transport), "http");
        HttpHost host = HttpHost.start(address, transport, tap);
        port.set(host.port());
        return host;
    }

    private <S extends McpServer.SyncSpecification<S>> McpSyncServer configure(McpServer.SyncSpecification<S> spec,
                                                                              String transport) {
        Auditor auditor = new Auditor(manager.audit(), transport);
        VmTools vms = new VmTools(manager, guard, owned, tap);
        Map<String, ToolHandler> handlers = new LinkedHashMap<>();
        new TemplateTools(manager, guard).register(handlers);
        vms.register(handlers);
        new GuestTools(vms, policy).register(handlers);
        ToolRunner runner = new ToolRunner(policy, auditor);
        ResourcesAndPrompts rp = new ResourcesAndPrompts(manager, guard, policy, vms, owned, auditor);
        return spec.serverInfo(name, version)
                .instructions("Creates throw-away VMs from versioned, signed templates, within limits the operator set"
                        + " (read vboxmcp://policy). Start with search_templates; destroy_vm what you create.")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(false).resources(false, false)
                        .prompts(false).build())
                .requestTimeout(Duration.ofHours(2))
                // our own checks (Args) answer bad input: typed, escaped, and audited like every other refusal
                .validateToolInputs(false)
                .tools(runner.specifications(handlers))
                // forbidden tools stay callable (their calls are refused and audited) but are not listed
                .addToolFilter((ctx, tool) -> policy.allowsTool(tool.name()))
                .resourceTemplates(rp.templates())
                .resources(rp.resources())
                .prompts(rp.prompts())
                .build();
    }

    /** Cancels creates in flight and, if the policy says so, destroys every VM the server owns. */
    @Override
    public void close() {
        if (reaper != null) {
            reaper.shutdownNow();
        }
        Auditor audit = new Auditor(manager.audit(), "-");
        for (OwnedVms.Entry e : owned.all()) {
            CreateJob job = e.creating;
            if (job != null) {
                job.cancel();
                try {
                    job.await();
                } catch (VboxmcpException expected) {
                    // reported to the create's caller, if still connected
                }
            }
            if (policy.destroyOnShutdown() && e.vm != null) {
                try {
                    e.vm.destroy();
                    owned.release(e.name);
                    guard.shares().release(e.name);
                    audit.record(null, "shutdown_destroy", "ok", Map.of("vm", e.name));
                } catch (VboxmcpException ex) {
                    LOG.warn("could not destroy '{}' at shutdown: {}", e.name, ex.getMessage());
                }
            }
        }
    }

    /** A stdio session: ends when the client closes the server's standard input. */
    public record StdioSession(McpSyncServer server, InputStream input) {
        /** Blocks until the client closed the input, then closes the SDK server. */
        public void awaitEnd() throws InterruptedException {
            ((TappedLines) input).awaitEnd();
            server.closeGracefully();
        }
    }
}
