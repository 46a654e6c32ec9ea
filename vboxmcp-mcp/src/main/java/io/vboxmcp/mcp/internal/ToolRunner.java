package io.vboxmcp.mcp.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.mcp.McpPolicy;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns handlers into the SDK's tool specifications: the names, descriptions and input/output JSON Schemas come
 * from {@code tools.json}; every call is checked against the policy's tool list, its arguments against the schema's
 * keys, and ends in exactly one audit record carrying the MCP client's name. Errors become tool errors
 * ({@code isError}) whose text starts with the {@link ErrorCode} and whose {@code _meta} carries
 * {@code "io.vboxmcp/error": {"code", "message", "step"}}.
 */
final class ToolRunner {
    /** The {@code _meta} key of a tool error's typed form: {@code {"code", "message", "step"}}. */
    static final String ERROR_META = "io.vboxmcp/error";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Codes that mean "the server said no" rather than "something broke"; audited as {@code refused}. */
    private static final Set<ErrorCode> REFUSALS = EnumSet.of(ErrorCode.POLICY_VIOLATION, ErrorCode.RESOURCE_LIMIT,
            ErrorCode.INVALID_ARGUMENT, ErrorCode.INVALID_VERSION, ErrorCode.UNTRUSTED, ErrorCode.SIGNATURE_INVALID,
            ErrorCode.VM_NOT_FOUND, ErrorCode.VM_EXISTS, ErrorCode.TEMPLATE_NOT_FOUND, ErrorCode.VERSION_NOT_FOUND);

    private final Map<String, Map<String, Object>> definitions;
    private final McpPolicy policy;
    private final Auditor auditor;

    ToolRunner(McpPolicy policy, Auditor auditor) {
        this.policy = policy;
        this.auditor = auditor;
        try (InputStream in = ToolRunner.class.getResourceAsStream("tools.json")) {
            this.definitions = JSON.readValue(in, new TypeReference<LinkedHashMap<String, Map<String, Object>>>() { });
        } catch (IOException e) {
            throw new IllegalStateException("tools.json is missing from the jar", e);
        }
    }

    /** @return one specification per tool in {@link McpPolicy#ALL_TOOLS}; the list filter hides forbidden ones */
    List<McpServerFeatures.SyncToolSpecification> specifications(Map<String, ToolHandler> handlers) {
        List<McpServerFeatures.SyncToolSpecification> specs = new ArrayList<>();
        for (String name : McpPolicy.ALL_TOOLS) {
            ToolHandler h = handlers.get(name);
            specs.add(McpServerFeatures.SyncToolSpecification.builder().tool(tool(name))
                    .callHandler((ex, req) -> call(name, h, ex, req)).build());
        }
        return specs;
    }

    @SuppressWarnings("unchecked")
    McpSchema.Tool tool(String name) {
        Map<String, Object> d = definitions.get(name);
        boolean readOnly = Boolean.TRUE.equals(d.get("readOnly"));
        return McpSchema.Tool.builder().name(name).title((String) d.get("title"))
                .description((String) d.get("description"))
                .inputSchema((Map<String, Object>) d.get("input"))
                .outputSchema((Map<String, Object>) d.get("output"))
                .annotations(new McpSchema.ToolAnnotations((String) d.get("title"), readOnly,
                        !readOnly && (name.equals("destroy_vm") || name.equals("copy_to_vm") || name.equals("stop_vm")),
                        null, false, null))
                .build();
    }

    @SuppressWarnings("unchecked")
    private Set<String> knownArguments(String name) {
        Map<String, Object> input = (Map<String, Object>) definitions.get(name).get("input");
        return ((Map<String, Object>) input.get("properties")).keySet();
    }

    private McpSchema.CallToolResult call(String name, ToolHandler handler, McpSyncServerExchange ex,
                                          McpSchema.CallToolRequest req) {
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            if (!policy.allowsTool(name)) {
                throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "the tool '" + name + "' is not allowed by this"
                        + " server's policy" + (policy.readOnly() ? " (read-only mode)" : ""));
            }
            Call call = new Call(name, Args.of(name, req.arguments(), knownArguments(name)), ex, req, fields);
            Map<String, Object> result = handler.handle(call);
            auditor.record(ex, name, "ok", fields);
            return McpSchema.CallToolResult.builder().structuredContent(result).addTextContent(text(result)).build();
        } catch (VboxmcpException e) {
            return error(ex, name, fields, e);
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(ToolRunner.class).error("tool {} failed", name, e);
            return error(ex, name, fields, new VboxmcpException(ErrorCode.INTERNAL, "internal error: " + e));
        }
    }

    private McpSchema.CallToolResult error(McpSyncServerExchange ex, String name, Map<String, String> fields,
                                           VboxmcpException e) {
        String message = oneLine(e.getMessage() == null ? e.code().name() : e.getMessage());
        fields.put("code", e.code().name());
        fields.put("reason", message);
        try {
            auditor.record(ex, name, REFUSALS.contains(e.code()) ? "refused" : "failed", fields);
        } catch (VboxmcpException auditFailed) {
            message = message + " (and the audit record failed: " + auditFailed.getMessage() + ")";
        }
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("code", e.code().name());
        err.put("message", message);
        e.step().ifPresent(s -> err.put("step", s));
        // no structuredContent: clients check it against the tool's output schema even on errors
        return McpSchema.CallToolResult.builder().isError(true).meta(Map.of(ERROR_META, err))
                .addTextContent(e.code().name() + ": " + message).build();
    }

    /** Messages go to agents and logs: one line, control characters escaped, bounded. */
    private static String oneLine(String message) {
        String m = message == null ? "" : message.replace("\r\n", " | ").replace('\n', ' ');
        StringBuilder b = new StringBuilder();
        m.codePoints().limit(2000).forEach(c -> {
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }

    static String text(Map<String, Object> result) {
        try {
            return JSON.writeValueAsString(result);
        } catch (IOException e) {
            return String.valueOf(result);
        }
    }
}
