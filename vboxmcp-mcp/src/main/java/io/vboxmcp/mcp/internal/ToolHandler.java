package io.vboxmcp.mcp.internal;

import io.vboxmcp.VboxmcpException;

import java.util.Map;

/** The work of one tool: returns the structured result, or throws a typed error the agent sees as a tool error. */
@FunctionalInterface
interface ToolHandler {
    Map<String, Object> handle(Call call) throws VboxmcpException;
}
