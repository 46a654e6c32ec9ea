package io.vboxmcp.mcp.internal;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.mcp.McpPolicy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the operator's policy file (YAML, so JSON too) strictly: every key known, every value typed and in range,
 * each error naming its key. The operator is trusted, but a typo that silently widened the policy would not be.
 */
public final class PolicyFile {
    private static final long MAX_BYTES = 64 * 1024;
    private static final Pattern DURATION = Pattern.compile("([1-9][0-9]{0,6})(s|m|h|d)");
    private static final Set<String> TOP = Set.of("sources", "templates", "per_vm", "total", "max_vms",
            "shared_folders", "network", "idle_destroy", "tools", "read_only", "destroy_on_shutdown", "exec", "copy");
    private static final Set<String> RESOURCES = Set.of("memory_mb", "cpus", "disk_mb");

    private PolicyFile() {
    }

    /** @see McpPolicy#load(Path) */
    public static McpPolicy read(Path file) throws VboxmcpException {
        JsonNode root;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw invalid(file, "the file is larger than " + MAX_BYTES + " bytes");
            }
            YAMLFactory yaml = YAMLFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build()).build();
            root = new ObjectMapper(yaml).readTree(Files.readString(file));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read the policy file " + file + ": " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return McpPolicy.defaults();
        }
        return parse(file, root);
    }

    static McpPolicy parse(Path file, JsonNode root) throws VboxmcpException {
        McpPolicy d = McpPolicy.defaults();
        requireObject(file, "(top level)", root, TOP);
        JsonNode perVm = root.path("per_vm");
        JsonNode total = root.path("total");
        requireObject(file, "per_vm", perVm, RESOURCES);
        requireObject(file, "total", total, RESOURCES);
        requireObject(file, "exec", root.path("exec"), Set.of("max_output_bytes", "max_timeout"));
        requireObject(file, "copy", root.path("copy"), Set.of("max_bytes"));
        List<String> templates = strings(file, "templates", root.path("templates"));
        for (String t : templates) {
            try {
                TemplateRef.parse(t);
            } catch (VboxmcpException e) {
                throw invalid(file, "templates: '" + t + "' is not a template name or name@range: " + e.getMessage());
            }
        }
        String network = root.path("network").asText("open");
        if (!root.path("network").isMissingNode() && !(root.path("network").isTextual()
                && (network.equals("open") || network.equals("restricted")))) {
            throw invalid(file, "network must be 'open' or 'restricted'");
        }
        List<String> tools = strings(file, "tools", root.path("tools"));
        for (String t : tools) {
            if (!McpPolicy.ALL_TOOLS.contains(t)) {
                throw invalid(file, "tools: unknown tool '" + t + "' (known: " + String.join(", ", McpPolicy.ALL_TOOLS) + ")");
            }
        }
        int copy = integer(file, "copy.max_bytes", root.path("copy").path("max_bytes"), d.maxCopyBytes());
        if (copy > McpPolicy.COPY_CEILING) {
            throw invalid(file, "copy.max_bytes must be at most " + McpPolicy.COPY_CEILING);
        }
        Shares shares = shares(file, root.path("shared_folders"));
        return new McpPolicy(strings(file, "sources", root.path("sources")), templates,
                integer(file, "per_vm.memory_mb", perVm.path("memory_mb"), d.maxMemoryMb()),
                integer(file, "per_vm.cpus", perVm.path("cpus"), d.maxCpus()),
                integer(file, "per_vm.disk_mb", perVm.path("disk_mb"), d.maxDiskMb()),
                integer(file, "total.memory_mb", total.path("memory_mb"), d.totalMemoryMb()),
                integer(file, "total.cpus", total.path("cpus"), d.totalCpus()),
                integer(file, "total.disk_mb", total.path("disk_mb"), d.totalDiskMb()),
                integer(file, "max_vms", root.path("max_vms"), d.maxVms()),
                shares.allowed(),
                network.equals("restricted"),
                duration(file, "idle_destroy", root.path("idle_destroy"), d.idleDestroy()),
                new LinkedHashSet<>(tools),
                bool(file, "read_only", root.path("read_only"), d.readOnly()),
                bool(file, "destroy_on_shutdown", root.path("destroy_on_shutdown"), d.destroyOnShutdown()),
                integer(file, "exec.max_output_bytes", root.path("exec").path("max_output_bytes"), d.maxExecOutputBytes()),
                duration(file, "exec.max_timeout", root.path("exec").path("max_timeout"), d.maxExecTimeout()),
                copy, shares.root(), shares.writable());
    }

    private record Shares(boolean allowed, Path root, Set<String> writable) { }

    /**
     * {@code shared_folders}: false (none), true (the 0.2.0 form: the template's own host paths, under the manager's
     * share roots, read-only only) or {@code {root: /abs, writable: [name, ...]}} (folders the server makes per VM).
     */
    private static Shares shares(Path file, JsonNode node) throws VboxmcpException {
        if (node.isMissingNode() || node.isBoolean()) {
            return new Shares(node.asBoolean(false), null, Set.of());
        }
        if (!node.isObject()) {
            throw invalid(file, "shared_folders must be true, false or a mapping {root: /folder, writable: [share, ...]}");
        }
        requireObject(file, "shared_folders", node, Set.of("root", "writable"));
        JsonNode root = node.path("root");
        if (!root.isTextual() || root.asText().isBlank()) {
            throw invalid(file, "shared_folders.root must name the host folder under which the server makes each VM's"
                    + " shared folders");
        }
        String problem = ShareFolders.rootProblem(root.asText());
        if (problem != null) {
            throw invalid(file, "shared_folders.root " + problem);
        }
        Set<String> writable = new LinkedHashSet<>();
        for (String w : strings(file, "shared_folders.writable", node.path("writable"))) {
            if (!ShareFolders.NAME.matcher(w).matches()) {
                throw invalid(file, "shared_folders.writable: '" + Args.shown(w) + "' is not a share name ("
                        + ShareFolders.NAME.pattern() + ")");
            }
            writable.add(w);
        }
        return new Shares(true, Path.of(root.asText()), writable);
    }

    private static void requireObject(Path file, String key, JsonNode node, Set<String> known) throws VboxmcpException {
        if (node.isMissingNode()) {
            return;
        }
        if (!node.isObject()) {
            throw invalid(file, key + " must be a mapping");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            String k = it.next().getKey();
            if (!known.contains(k)) {
                throw invalid(file, (key.startsWith("(") ? "" : key + ".") + "'" + k + "' is not a policy key (known: "
                        + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static List<String> strings(Path file, String key, JsonNode node) throws VboxmcpException {
        List<String> out = new ArrayList<>();
        if (node.isMissingNode()) {
            return out;
        }
        if (!node.isArray()) {
            throw invalid(file, key + " must be a list");
        }
        for (JsonNode n : node) {
            if (!n.isTextual() || n.asText().isBlank()) {
                throw invalid(file, key + " must hold non-empty strings");
            }
            out.add(n.asText().trim());
        }
        return out;
    }

    private static int integer(Path file, String key, JsonNode node, int def) throws VboxmcpException {
        if (node.isMissingNode()) {
            return def;
        }
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.asInt() < (key.equals("max_vms") ? 0 : 1)) {
            throw invalid(file, key + " must be a " + (key.equals("max_vms") ? "non-negative" : "positive")
                    + " whole number");
        }
        return node.asInt();
    }

    private static boolean bool(Path file, String key, JsonNode node, boolean def) throws VboxmcpException {
        if (node.isMissingNode()) {
            return def;
        }
        if (!node.isBoolean()) {
            throw invalid(file, key + " must be true or false");
        }
        return node.asBoolean();
    }

    private static Duration duration(Path file, String key, JsonNode node, Duration def) throws VboxmcpException {
        if (node.isMissingNode()) {
            return def;
        }
        Matcher m = DURATION.matcher(node.isTextual() ? node.asText().trim() : "");
        if (!m.matches()) {
            throw invalid(file, key + " must be a duration such as 90s, 30m, 2h or 1d");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    private static VboxmcpException invalid(Path file, String message) {
        return new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "policy file " + file + ": " + message);
    }
}
