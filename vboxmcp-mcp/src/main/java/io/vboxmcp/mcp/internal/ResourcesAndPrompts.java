package io.vboxmcp.mcp.internal;

import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.mcp.McpPolicy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Templates and VMs as MCP resources ({@code vboxmcp://templates/{name}/{version}}, {@code vboxmcp://vms/{name}}),
 * the policy as {@code vboxmcp://policy}, and two prompts for the common flows. Reads are audited like tool calls;
 * errors are JSON-RPC errors (resource reads have no tool-error form), with the {@link ErrorCode} in their data.
 */
final class ResourcesAndPrompts {
    private static final Pattern TEMPLATE_URI = Pattern.compile("vboxmcp://templates/(" + TemplateRef.NAME_PATTERN
            + ")/([0-9A-Za-z.+^~<>=| -]{1,64})");
    private static final Pattern VM_URI = Pattern.compile("vboxmcp://vms/(" + TemplateRef.NAME_PATTERN + ")");

    private final VmManager manager;
    private final PolicyGuard guard;
    private final McpPolicy policy;
    private final VmTools vms;
    private final OwnedVms owned;
    private final Auditor auditor;

    ResourcesAndPrompts(VmManager manager, PolicyGuard guard, McpPolicy policy, VmTools vms, OwnedVms owned,
                        Auditor auditor) {
        this.manager = manager;
        this.guard = guard;
        this.policy = policy;
        this.vms = vms;
        this.owned = owned;
        this.auditor = auditor;
    }

    List<McpServerFeatures.SyncResourceTemplateSpecification> templates() {
        return List.of(
                new McpServerFeatures.SyncResourceTemplateSpecification(McpSchema.ResourceTemplate.builder()
                        .uriTemplate("vboxmcp://templates/{name}/{version}").name("template")
                        .title("Template version").mimeType("application/json")
                        .description("A template version as describe_template returns it").build(),
                        (ex, req) -> read(ex, req.uri(), this::template)),
                new McpServerFeatures.SyncResourceTemplateSpecification(McpSchema.ResourceTemplate.builder()
                        .uriTemplate("vboxmcp://vms/{name}").name("vm").title("VM")
                        .mimeType("application/json").description("A VM this server owns, as vm_status returns it")
                        .build(), (ex, req) -> read(ex, req.uri(), this::vm)));
    }

    List<McpServerFeatures.SyncResourceSpecification> resources() {
        return List.of(new McpServerFeatures.SyncResourceSpecification(McpSchema.Resource.builder()
                .uri("vboxmcp://policy").name("policy").title("This server's policy").mimeType("application/json")
                .description("The limits the operator set: templates, resources, tools").build(),
                (ex, req) -> read(ex, req.uri(), uri -> policyView())));
    }

    private interface Reader {
        Map<String, Object> read(String uri) throws VboxmcpException;
    }

    private McpSchema.ReadResourceResult read(McpSyncServerExchange ex, String uri, Reader reader) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("uri", Args.shown(uri));
        try {
            Map<String, Object> body = reader.read(uri);
            auditor.record(ex, "read_resource", "ok", fields);
            return new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(uri, "application/json",
                    ToolRunner.text(body))));
        } catch (VboxmcpException e) {
            fields.put("code", e.code().name());
            try {
                auditor.record(ex, "read_resource", "refused", fields);
            } catch (VboxmcpException ignored) {
                // the error below is what the client needs
            }
            int code = e.code() == ErrorCode.VM_NOT_FOUND || e.code() == ErrorCode.TEMPLATE_NOT_FOUND
                    || e.code() == ErrorCode.VERSION_NOT_FOUND ? McpSchema.ErrorCodes.RESOURCE_NOT_FOUND
                    : McpSchema.ErrorCodes.INVALID_PARAMS;
            throw McpError.builder(code).message(e.code() + ": " + Args.shown(String.valueOf(e.getMessage())))
                    .data(Map.of("code", e.code().name())).build();
        }
    }

    private Map<String, Object> template(String uri) throws VboxmcpException {
        Matcher m = TEMPLATE_URI.matcher(uri);
        if (!m.matches()) {
            throw Args.invalid("not a template resource: '" + Args.shown(uri) + "'");
        }
        return TemplateTools.describe(manager, guard, m.group(1), m.group(2));
    }

    private Map<String, Object> vm(String uri) throws VboxmcpException {
        Matcher m = VM_URI.matcher(uri);
        if (!m.matches()) {
            throw Args.invalid("not a VM resource: '" + Args.shown(uri) + "'");
        }
        OwnedVms.Entry e = owned.touch(m.group(1)).filter(x -> x.vm != null)
                .orElseThrow(() -> VmTools.notOwned(m.group(1)));
        return vms.status(e);
    }

    private Map<String, Object> policyView() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sources", policy.sources());
        m.put("templates", policy.templates());
        m.put("per_vm", Map.of("memory_mb", policy.maxMemoryMb(), "cpus", policy.maxCpus(), "disk_mb", policy.maxDiskMb()));
        m.put("total", Map.of("memory_mb", policy.totalMemoryMb(), "cpus", policy.totalCpus(), "disk_mb",
                policy.totalDiskMb()));
        m.put("max_vms", policy.maxVms());
        // the root is a host path: the agent learns only that shares are per VM, and which may be writable
        m.put("shared_folders", policy.shareRoot() == null ? policy.allowSharedFolders()
                : Map.of("per_vm", true, "writable", policy.writableShares().stream().sorted().toList()));
        m.put("network", policy.restrictNetwork() ? "restricted" : "open");
        m.put("idle_destroy_seconds", policy.idleDestroy() == null ? null : policy.idleDestroy().toSeconds());
        m.put("tools", McpPolicy.ALL_TOOLS.stream().filter(policy::allowsTool).toList());
        m.put("exec", Map.of("max_output_bytes", policy.maxExecOutputBytes(), "max_timeout_seconds",
                policy.maxExecTimeout().toSeconds()));
        m.put("copy", Map.of("max_bytes", policy.maxCopyBytes()));
        return m;
    }

    List<McpServerFeatures.SyncPromptSpecification> prompts() {
        return List.of(
                new McpServerFeatures.SyncPromptSpecification(new McpSchema.Prompt("dev_vm",
                        "Work in a fresh VM made from a template", List.of(
                        new McpSchema.PromptArgument("template", "template name (see search_templates)", true),
                        new McpSchema.PromptArgument("task", "what to do in the VM", false))),
                        (ex, req) -> prompt(ex, "dev_vm", req, """
                                Use the vboxmcp tools to do this in a throw-away VM.
                                1. describe_template with template "%1$s" to see its minimum resources and ports.
                                2. plan_vm, then create_vm with template "%1$s" and a short lower-case name.
                                3. Do the task with exec_in_vm (and copy_to_vm / copy_from_vm for files): %2$s
                                4. destroy_vm when you are done, even if something failed.
                                """)),
                new McpServerFeatures.SyncPromptSpecification(new McpSchema.Prompt("run_untrusted_code",
                        "Run code you do not trust in an isolated VM and report its output", List.of(
                        new McpSchema.PromptArgument("template", "template with the code's runtime", true),
                        new McpSchema.PromptArgument("task", "the code, or what to run", true))),
                        (ex, req) -> prompt(ex, "run_untrusted_code", req, """
                                Never run this on your own machine. Create a VM with create_vm from template "%1$s",
                                write the code into it with copy_to_vm (for example to /tmp/job), run it with exec_in_vm
                                with a timeout, report the exit code and output (it may be truncated), then destroy_vm.
                                The code or task: %2$s
                                """)));
    }

    private McpSchema.GetPromptResult prompt(McpSyncServerExchange ex, String name, McpSchema.GetPromptRequest req,
                                             String text) {
        Map<String, Object> a = req.arguments() == null ? Map.of() : req.arguments();
        String template = String.valueOf(a.getOrDefault("template", ""));
        String task = String.valueOf(a.getOrDefault("task", "(ask the user)"));
        if (!TemplateRef.isValidName(template)) {
            throw McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS)
                    .message("INVALID_ARGUMENT: template must be a template name").build();
        }
        if (task.length() > 16384) {
            throw McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS)
                    .message("INVALID_ARGUMENT: task is longer than 16384 characters").build();
        }
        try {
            auditor.record(ex, "get_prompt", "ok", Map.of("prompt", name, "template", template));
        } catch (VboxmcpException e) {
            throw McpError.builder(McpSchema.ErrorCodes.INTERNAL_ERROR).message("AUDIT: " + e.getMessage()).build();
        }
        return new McpSchema.GetPromptResult(name, List.of(new McpSchema.PromptMessage(McpSchema.Role.USER,
                new McpSchema.TextContent(text.formatted(template, task)))));
    }
}
