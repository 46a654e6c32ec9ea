package io.vboxmcp.mcp.internal;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ResourceLimitException;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmPlan;
import io.vboxmcp.mcp.McpPolicy;
import io.vboxmcp.template.TemplateDefinition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The policy's checks on templates and plans: which sources and templates, per-VM ceilings, shared folders. Every
 * check runs on the manager's own plan (after resolution, verification and the template's minimums), so an
 * agent cannot slip past a ceiling by leaving a size out.
 */
final class PolicyGuard {
    private final McpPolicy policy;
    private final List<TemplateRef> allowed = new ArrayList<>();
    private final ShareFolders shares;

    PolicyGuard(McpPolicy policy) throws VboxmcpException {
        this.policy = policy;
        this.shares = new ShareFolders(policy);
        for (String t : policy.templates()) {
            allowed.add(TemplateRef.parse(t));
        }
    }

    /** @return whether the policy lets agents see and use this template version from this source */
    boolean allows(String template, SemanticVersion version, String sourceId) {
        boolean source = policy.sources().isEmpty() || policy.sources().contains(sourceId);
        boolean tpl = allowed.isEmpty() || allowed.stream()
                .anyMatch(r -> r.name().equals(template) && r.range().contains(version));
        return source && tpl;
    }

    /** @throws VboxmcpException {@link ErrorCode#POLICY_VIOLATION} if the resolved template is not allowed */
    VmManager.ResolvedTemplate check(VmManager.ResolvedTemplate r) throws VboxmcpException {
        if (!policy.sources().isEmpty() && !policy.sources().contains(r.sourceId())) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "template " + r.name() + "@" + r.version()
                    + " comes from source '" + r.sourceId() + "', which this server's policy does not allow (allowed: "
                    + String.join(", ", policy.sources()) + ")");
        }
        if (!allows(r.name(), r.version(), r.sourceId())) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "template " + r.name() + "@" + r.version()
                    + " is not allowed by this server's policy (allowed: " + String.join(", ", policy.templates()) + ")");
        }
        return r;
    }

    /** @throws VboxmcpException {@link ErrorCode#RESOURCE_LIMIT} or {@link ErrorCode#POLICY_VIOLATION} */
    VmPlan check(VmPlan plan) throws VboxmcpException {
        if (plan.memoryMb() > policy.maxMemoryMb() || plan.cpus() > policy.maxCpus() || plan.diskMb() > policy.maxDiskMb()) {
            throw new ResourceLimitException("the plan asks " + plan.memoryMb() + " MB memory, " + plan.cpus() + " cpus, "
                    + plan.diskMb() + " MB disk; this server's policy allows at most " + policy.maxMemoryMb() + " MB, "
                    + policy.maxCpus() + " cpus, " + policy.maxDiskMb() + " MB per VM");
        }
        if (!plan.sharedFolders().isEmpty() && !policy.allowSharedFolders()) {
            // EXE-02: an agent must never reach a host folder unless the operator said so
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "template " + plan.template().coordinates()
                    + " shares " + plan.sharedFolders().size() + " host folder(s) with the guest; this server's policy"
                    + " allows no shared folders");
        }
        return plan;
    }

    /** @return the shared folders the policy gives a VM */
    ShareFolders shares() {
        return shares;
    }

    /** A template's composed definition and the request with its shares set as the policy says. */
    record Shared(TemplateDefinition definition, CreateVmRequest.Builder request) {
        List<Map<String, Object>> offered(PolicyGuard g) throws VboxmcpException {
            return definition == null ? List.of() : g.shares.offered(definition);
        }
    }

    /**
     * Sets the template's shares on {@code b} as the policy says (for a create, making the VM's folders), after
     * checking them; a manager that cannot load a definition without a plan leaves the manager's own checks.
     *
     * @param exact  the exact version resolved and checked
     * @param create whether the folders are made (a create) or the root stands in for them (a dry run)
     */
    Shared withShares(VmManager manager, CreateVmRequest.Builder b, TemplateRef exact, String vm, boolean create)
            throws VboxmcpException {
        TemplateDefinition t;
        try {
            t = manager.definition(exact);
        } catch (UnsupportedOperationException e) {
            return new Shared(null, b);
        }
        return new Shared(t, shares.apply(b, t, vm, create));
    }

    /** @return the request an agent's create or plan arguments describe; no host path, driver or share option */
    static CreateVmRequest request(Args a) throws VboxmcpException {
        String name = a.name("name");
        return withResources(a, CreateVmRequest.builder(name, TemplateTools.ref(a.name("template"),
                a.string("version", 64, false)))).build();
    }

    /** @return {@code b} with the memory, cpus and disk the arguments give (the template minimums otherwise) */
    static CreateVmRequest.Builder withResources(Args a, CreateVmRequest.Builder b) throws VboxmcpException {
        Integer mem = a.integer("memory_mb", 1, 1 << 20);
        Integer cpus = a.integer("cpus", 1, 1024);
        Integer disk = a.integer("disk_mb", 1, 1 << 24);
        if (mem != null) {
            b.memoryMb(mem);
        }
        if (cpus != null) {
            b.cpus(cpus);
        }
        if (disk != null) {
            b.diskSizeMb(disk);
        }
        return b;
    }
}
