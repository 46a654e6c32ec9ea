package io.vboxmcp.cli.internal;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code vboxmcp mcp} against a client we did not write: {@code scripts/mcp-inspector-check.sh} drives it with the
 * MCP Inspector's command-line mode (tools/list, search_templates, plan_vm, a refused name).
 */
class CliMcpInspectorTest {
    @Test
    void mcpInspectorCli_listsToolsAndCallsSearchAndPlan() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Launcher.ROOT.resolve("scripts/mcp-inspector-check.sh").toString())
                .redirectErrorStream(true);
        pb.environment().put("VBOXMCP_CLI_CLASSES", "1");
        pb.environment().remove("VBOXMCP_HOME");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as(out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("mcp-inspector-check: ok (MCP Inspector 2.12.0");
    }
}
