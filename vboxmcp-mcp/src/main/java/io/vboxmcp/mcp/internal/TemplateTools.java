package io.vboxmcp.mcp.internal;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.PortForward;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmPlan;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateInfo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code search_templates}, {@code describe_template} and {@code plan_vm}: read-only, within the policy. */
final class TemplateTools {
    /** The VM name a describe plans under: a dry run creates nothing, the name only has to be valid. */
    private static final String DESCRIBE_PROBE = "describe-probe";

    private final VmManager manager;
    private final PolicyGuard guard;

    TemplateTools(VmManager manager, PolicyGuard guard) {
        this.manager = manager;
        this.guard = guard;
    }

    void register(Map<String, ToolHandler> handlers) {
        handlers.put("search_templates", this::search);
        handlers.put("describe_template", this::describe);
        handlers.put("plan_vm", this::plan);
    }

    Map<String, Object> search(Call c) throws VboxmcpException {
        String query = c.args().string("query", 200, false);
        List<Map<String, Object>> out = manager.search(query == null ? "" : query).stream()
                .filter(t -> guard.allows(t.name(), t.version(), t.sourceId()))
                .map(TemplateTools::info).toList();
        return Map.of("templates", out);
    }

    Map<String, Object> describe(Call c) throws VboxmcpException {
        String name = c.args().name("template");
        String version = c.args().string("version", 64, false);
        c.audit().put("template", name);
        return describe(manager, guard, name, version);
    }

    /** @return what describe_template and the template resource show of an allowed template version */
    static Map<String, Object> describe(VmManager manager, PolicyGuard guard, String name, String version)
            throws VboxmcpException {
        VmManager.ResolvedTemplate r = guard.check(manager.resolve(ref(name, version)));
        TemplateRef exact = TemplateRef.of(r.name(), r.version().toString());
        PolicyGuard.Shared shared = guard.withShares(manager, CreateVmRequest.builder(DESCRIBE_PROBE, exact), exact,
                DESCRIBE_PROBE, false);
        VmPlan plan = manager.plan(shared.request().build());
        return describe(manager, guard, r, plan, shared.offered(guard));
    }

    private static Map<String, Object> describe(VmManager manager, PolicyGuard guard, VmManager.ResolvedTemplate r,
                                                VmPlan plan, List<Map<String, Object>> shares)
            throws VboxmcpException {
        TemplateDefinition t = plan.template();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", t.name());
        m.put("version", t.version().toString());
        m.put("versions", manager.search(t.name()).stream()
                .filter(i -> i.name().equals(t.name()) && guard.allows(i.name(), i.version(), i.sourceId()))
                .map(TemplateInfo::version).distinct().sorted().map(SemanticVersion::toString).toList());
        m.put("description", t.description());
        m.put("author", t.author());
        m.put("base_image", t.baseImage());
        m.put("source", r.sourceId());
        m.put("digest", plan.manifestDigest());
        m.put("signer", plan.signer());
        m.put("min_memory_mb", t.minRamMb());
        m.put("min_disk_mb", t.minDiskMb());
        m.put("min_cpus", t.minCores());
        m.put("ports", t.ports());
        m.put("packages", t.packages());
        m.put("scripts", t.scripts().stream().map(s -> s.name()).toList());
        m.put("shared_folders", t.sharedFolders().size());
        m.put("shares", shares);
        m.put("tags", t.metadata().tags());
        return m;
    }

    Map<String, Object> plan(Call c) throws VboxmcpException {
        CreateVmRequest request = PolicyGuard.request(c.args());
        c.audit().put("vm", request.vmName());
        c.audit().put("template", request.template().toString());
        VmManager.ResolvedTemplate r = guard.check(manager.resolve(request.template()));
        TemplateRef exact = TemplateRef.of(r.name(), r.version().toString());
        PolicyGuard.Shared shared = guard.withShares(manager, PolicyGuard.withResources(c.args(),
                CreateVmRequest.builder(request.vmName(), exact)), exact, request.vmName(), false);
        if (shared.definition() != null) {
            c.audit().put("shares", ShareFolders.audited(shared.definition()));
        }
        Map<String, Object> m = plan(guard.check(manager.plan(shared.request().build())), r);
        m.put("shares", shared.offered(guard));
        return m;
    }

    static Map<String, Object> plan(VmPlan p, VmManager.ResolvedTemplate r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vm", p.vmName());
        m.put("template", p.template().name());
        m.put("version", p.template().version().toString());
        m.put("source", r.sourceId());
        m.put("digest", p.manifestDigest());
        m.put("signer", p.signer());
        m.put("base_image", p.template().baseImage());
        m.put("driver", p.driverId());
        m.put("memory_mb", p.memoryMb());
        m.put("cpus", p.cpus());
        m.put("disk_mb", p.diskMb());
        m.put("ports", p.ports().stream().map(PortForward::guestPort).filter(g -> g != 22).toList());
        m.put("shared_folders", p.sharedFolders().size());
        String describe = p.describe();
        for (var f : p.sharedFolders()) {
            // host paths are the operator's: the agent learns the guest side only
            describe = describe.replace(f.hostPath() + " -> ", "(host folder of the server) -> ");
        }
        m.put("describe", describe);
        return m;
    }

    static TemplateRef ref(String name, String version) throws VboxmcpException {
        try {
            return TemplateRef.of(name, version);
        } catch (VboxmcpException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "version '" + Args.shown(String.valueOf(version))
                    + "' is not a version or range: " + e.getMessage());
        }
    }

    private static Map<String, Object> info(TemplateInfo t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", t.name());
        m.put("version", t.version().toString());
        m.put("description", t.description());
        m.put("tags", t.tags());
        m.put("source", t.sourceId());
        return m;
    }
}
