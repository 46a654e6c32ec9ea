package io.vboxmcp.mcp.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MCP cancellation for our transports. The SDK (2.1.0) neither delivers {@code notifications/cancelled} to a server
 * nor tells a tool handler its JSON-RPC id, so every incoming message passes through here first: a
 * {@code tools/call} gets its id written into {@code params._meta} under {@link #REQUEST_ID_META} (overwriting
 * whatever the client put there, so a client cannot name another call), and a {@code notifications/cancelled}
 * runs the canceller registered for that id. Keys carry the transport session, since ids repeat across sessions.
 */
public final class CancelTap {
    /** The {@code _meta} key a tool handler finds its call's key under. */
    public static final String REQUEST_ID_META = "io.vboxmcp/request-key";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<Object, Runnable> cancellers = new ConcurrentHashMap<>();

    /**
     * @param session the transport session ({@code stdio}, or the HTTP session id), never null
     * @param message one JSON-RPC message as received
     * @return the message to hand to the SDK (rewritten for tool calls, else unchanged)
     */
    public String filter(String session, String message) {
        JsonNode root;
        try {
            root = JSON.readTree(message);
        } catch (Exception notJson) {
            return message; // the SDK answers malformed input itself
        }
        if (!(root instanceof ObjectNode obj)) {
            return message;
        }
        String method = obj.path("method").asText("");
        if (method.equals("tools/call") && obj.hasNonNull("id") && obj.path("params").isObject()) {
            ObjectNode params = (ObjectNode) obj.get("params");
            JsonNode meta = params.get("_meta");
            ObjectNode m = meta instanceof ObjectNode o ? o : params.putObject("_meta");
            m.put(REQUEST_ID_META, key(session, obj.get("id")));
            return obj.toString();
        }
        if (method.equals("notifications/cancelled")) {
            Runnable r = cancellers.get(key(session, obj.path("params").path("requestId")));
            if (r != null) {
                r.run();
            }
        }
        return message;
    }

    void register(Object key, Runnable canceller) {
        cancellers.put(key, canceller);
    }

    void unregister(Object key) {
        cancellers.remove(key);
    }

    private static String key(String session, JsonNode id) {
        return session + "|" + id.toString();
    }
}
