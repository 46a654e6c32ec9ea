package io.vboxmcp.mcp;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.mcp.internal.PolicyFile;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What an agent may do through a {@link VboxmcpMcpServer}: written by the operator, read once at start, never
 * changeable through the protocol. Every limit is checked before anything is created; a refusal is a tool error
 * with {@link io.vboxmcp.ErrorCode#POLICY_VIOLATION} or {@link io.vboxmcp.ErrorCode#RESOURCE_LIMIT}, audited.
 * The file format is in {@code docs/mcp.md}; {@link #load(Path)} reads it strictly (unknown keys are errors).
 *
 * @param sources              ids of the template sources that may be used; empty: every configured source
 * @param templates            allowed templates, each {@code name} or {@code name@range} ({@code python-dev@^1});
 *                             empty: every template
 * @param maxMemoryMb          memory ceiling per VM
 * @param maxCpus              vCPU ceiling per VM
 * @param maxDiskMb            disk ceiling per VM
 * @param totalMemoryMb        memory ceiling over every VM the server owns (and creates in flight)
 * @param totalCpus            vCPU ceiling over every VM the server owns
 * @param totalDiskMb          disk ceiling over every VM the server owns
 * @param maxVms               how many VMs the server may own at once
 * @param allowSharedFolders   whether a template with host shared folders may be created (default false); with a
 *                             null {@link #shareRoot} the template's own host paths are used, which must lie under a
 *                             share root of the manager, and writable shares are refused
 * @param restrictNetwork      whether guests must run with restricted networking (see {@code docs/mcp.md}: applied by
 *                             {@code vboxmcp mcp} through the driver's setting)
 * @param idleDestroy          a VM no tool has touched for this long is destroyed; null: never
 * @param tools                the tools that exist; empty: every tool ({@link #readOnly} still applies)
 * @param readOnly             only the tools that change nothing (search, describe, plan, list, status)
 * @param destroyOnShutdown    destroy the server's VMs when it stops (and those a crashed server left) (default true)
 * @param maxExecOutputBytes   cap on each of stdout and stderr returned by {@code exec_in_vm}
 * @param maxExecTimeout       longest timeout {@code exec_in_vm} accepts (and its default)
 * @param maxCopyBytes         largest file {@code copy_to_vm}/{@code copy_from_vm} move
 * @param shareRoot            absolute host folder (not a link) under which the server makes each VM's shared
 *                             folders, {@code <shareRoot>/<vm>/<share>}, ignoring the template's host paths; null:
 *                             none (since 0.3.0)
 * @param writableShares       names of template shares that may be writable from the guest when the template asks
 *                             for it (only with a {@link #shareRoot}); every other share is read-only or refused
 *                             (since 0.3.0)
 * @since 0.2.0
 */
public record McpPolicy(List<String> sources, List<String> templates, int maxMemoryMb, int maxCpus, int maxDiskMb,
                        int totalMemoryMb, int totalCpus, int totalDiskMb, int maxVms, boolean allowSharedFolders,
                        boolean restrictNetwork, Duration idleDestroy, Set<String> tools, boolean readOnly,
                        boolean destroyOnShutdown, int maxExecOutputBytes, Duration maxExecTimeout, int maxCopyBytes,
                        Path shareRoot, Set<String> writableShares) {

    /** Every tool the server knows, in the order they are listed. */
    public static final List<String> ALL_TOOLS = List.of("search_templates", "describe_template", "plan_vm",
            "create_vm", "list_vms", "vm_status", "exec_in_vm", "copy_to_vm", "copy_from_vm", "stop_vm", "destroy_vm");

    /**
     * The largest {@link #maxCopyBytes}: a file travels as base64 through one guest command's output, which the
     * manager caps at 1 MiB per stream.
     */
    public static final int COPY_CEILING = 640 * 1024;

    /** The tools left in read-only mode. */
    public static final Set<String> READ_ONLY_TOOLS = Set.of("search_templates", "describe_template", "plan_vm",
            "list_vms", "vm_status");

    public McpPolicy {
        sources = List.copyOf(sources);
        templates = List.copyOf(templates);
        tools = Set.copyOf(tools);
        writableShares = Set.copyOf(writableShares == null ? Set.of() : writableShares);
        Objects.requireNonNull(maxExecTimeout, "maxExecTimeout");
        if (shareRoot != null && (!shareRoot.isAbsolute() || !shareRoot.normalize().equals(shareRoot)
                || shareRoot.getParent() == null || !allowSharedFolders)) {
            throw new IllegalArgumentException("shareRoot must be an absolute, normalized folder below / and needs"
                    + " allowSharedFolders, got " + shareRoot);
        }
        if (shareRoot == null && !writableShares.isEmpty()) {
            throw new IllegalArgumentException("writableShares need a shareRoot");
        }
        if (maxMemoryMb < 1 || maxCpus < 1 || maxDiskMb < 1 || totalMemoryMb < 1 || totalCpus < 1 || totalDiskMb < 1
                || maxVms < 0 || maxExecOutputBytes < 1 || maxCopyBytes < 1 || maxCopyBytes > COPY_CEILING || maxExecTimeout.isNegative()
                || maxExecTimeout.isZero() || (idleDestroy != null && (idleDestroy.isNegative() || idleDestroy.isZero()))) {
            throw new IllegalArgumentException("policy limits must be positive");
        }
        for (String t : tools) {
            if (!ALL_TOOLS.contains(t)) {
                throw new IllegalArgumentException("unknown tool '" + t + "' (known: " + String.join(", ", ALL_TOOLS) + ")");
            }
        }
    }

    /**
     * The 0.2.0 form: no share root, no writable shares.
     *
     * @param sources            see the record
     * @param templates          see the record
     * @param maxMemoryMb        see the record
     * @param maxCpus            see the record
     * @param maxDiskMb          see the record
     * @param totalMemoryMb      see the record
     * @param totalCpus          see the record
     * @param totalDiskMb        see the record
     * @param maxVms             see the record
     * @param allowSharedFolders see the record
     * @param restrictNetwork    see the record
     * @param idleDestroy        see the record
     * @param tools              see the record
     * @param readOnly           see the record
     * @param destroyOnShutdown  see the record
     * @param maxExecOutputBytes see the record
     * @param maxExecTimeout     see the record
     * @param maxCopyBytes       see the record
     */
    public McpPolicy(List<String> sources, List<String> templates, int maxMemoryMb, int maxCpus, int maxDiskMb,
                     int totalMemoryMb, int totalCpus, int totalDiskMb, int maxVms, boolean allowSharedFolders,
                     boolean restrictNetwork, Duration idleDestroy, Set<String> tools, boolean readOnly,
                     boolean destroyOnShutdown, int maxExecOutputBytes, Duration maxExecTimeout, int maxCopyBytes) {
        this(sources, templates, maxMemoryMb, maxCpus, maxDiskMb, totalMemoryMb, totalCpus, totalDiskMb, maxVms,
                allowSharedFolders, restrictNetwork, idleDestroy, tools, readOnly, destroyOnShutdown, maxExecOutputBytes,
                maxExecTimeout, maxCopyBytes, null, Set.of());
    }

    /**
     * The defaults without a policy file: every source and template, 4096 MB / 2 vCPUs / 20000 MB per VM, 8192 MB /
     * 4 vCPUs / 60000 MB and 2 VMs in all, no shared folders, networking not restricted, no idle destroy, every
     * tool, VMs destroyed on shutdown, 64 KiB of exec output per stream, 10 minute exec timeout, 64 KiB copies.
     *
     * @return never null
     */
    public static McpPolicy defaults() {
        return new McpPolicy(List.of(), List.of(), 4096, 2, 20000, 8192, 4, 60000, 2, false, false, null, Set.of(),
                false, true, 64 * 1024, Duration.ofMinutes(10), 64 * 1024);
    }

    /**
     * Reads a policy file (YAML or JSON), strictly: unknown keys, wrong types and out-of-range values are errors
     * naming the key. Keys left out keep {@link #defaults()}.
     *
     * @param file never null
     * @return never null
     * @throws VboxmcpException {@link io.vboxmcp.ErrorCode#INVALID_ARGUMENT} naming the bad key, or
     *                          {@link io.vboxmcp.ErrorCode#IO} if the file cannot be read
     */
    public static McpPolicy load(Path file) throws VboxmcpException {
        return PolicyFile.read(file);
    }

    /**
     * @param tool never null
     * @return whether the tool exists under this policy
     */
    public boolean allowsTool(String tool) {
        return (tools.isEmpty() || tools.contains(tool)) && (!readOnly || READ_ONLY_TOOLS.contains(tool));
    }
}
