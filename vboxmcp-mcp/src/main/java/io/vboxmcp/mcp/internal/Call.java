package io.vboxmcp.mcp.internal;

import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tool call as a handler sees it: the checked arguments, the exchange (progress notifications, client info) and
 * the fields the handler adds to the call's audit record.
 *
 * @param tool     never null
 * @param args     never null
 * @param exchange never null
 * @param request  never null
 * @param audit    fields for the audit record (vm, template ...), filled by the handler
 */
record Call(String tool, Args args, McpSyncServerExchange exchange, McpSchema.CallToolRequest request,
            Map<String, String> audit) {
    Call(String tool, Args args, McpSyncServerExchange exchange, McpSchema.CallToolRequest request) {
        this(tool, args, exchange, request, new LinkedHashMap<>());
    }

    /** @return the request's progress token, or null if the client asked for no progress */
    Object progressToken() {
        Map<String, Object> meta = request.meta();
        return meta == null ? null : meta.get("progressToken");
    }

    /** @return the JSON-RPC id our transports put into the request's meta, or null (see {@link CancelTap}) */
    Object requestId() {
        Map<String, Object> meta = request.meta();
        return meta == null ? null : meta.get(CancelTap.REQUEST_ID_META);
    }

    /** Sends a progress notification if the client asked for progress; never throws. */
    void progress(double done, Double total, String message) {
        Object token = progressToken();
        if (token == null) {
            return;
        }
        try {
            exchange.progressNotification(new McpSchema.ProgressNotification(token, done, total, message));
        } catch (RuntimeException e) {
            // a client that went away must not fail the work it asked for
        }
    }
}
