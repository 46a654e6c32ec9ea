package io.vboxmcp.mcp.internal;

import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import io.vboxmcp.AuditLog;
import io.vboxmcp.VboxmcpException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes one record per tool call, resource read and prompt into the manager's hash-chained audit log: action
 * {@code mcp.<tool>}, the outcome, the MCP client's declared name and version, the transport and what the handler
 * added (vm, template, error code and reason). The client's name is what it says it is: recorded, not trusted.
 */
final class Auditor {
    private final AuditLog log;
    private final String transport;

    Auditor(AuditLog log, String transport) {
        this.log = log;
        this.transport = transport;
    }

    void record(McpSyncServerExchange ex, String what, String outcome, Map<String, String> fields)
            throws VboxmcpException {
        Map<String, String> all = new LinkedHashMap<>();
        McpSchema.Implementation client = ex == null ? null : ex.getClientInfo();
        all.put("client", client == null || client.name() == null ? "(unknown)" : Args.shown(client.name()));
        if (client != null && client.version() != null) {
            all.put("client_version", Args.shown(client.version()));
        }
        all.put("transport", transport);
        all.putAll(fields);
        log.record("mcp." + what, outcome, all);
    }
}
