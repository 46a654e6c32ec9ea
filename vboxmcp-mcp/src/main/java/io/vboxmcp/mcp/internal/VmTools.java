package io.vboxmcp.mcp.internal;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** {@code create_vm}, {@code list_vms}, {@code vm_status}, {@code stop_vm}, {@code destroy_vm}, on owned VMs only. */
final class VmTools {
    /** The create saga's steps, whose ends are create_vm's progress (its sub-steps only send messages). */
    private static final Set<String> STEPS = Set.of("resolve", "fetch", "verify", "load", "driver", "plan", "image",
            "reserve", "keys", "create", "start", "guest-ready", "provision");
    private static final double CREATE_STEPS = STEPS.size();

    private final VmManager manager;
    private final PolicyGuard guard;
    private final OwnedVms owned;
    private final CancelTap cancels;

    VmTools(VmManager manager, PolicyGuard guard, OwnedVms owned, CancelTap cancels) {
        this.manager = manager;
        this.guard = guard;
        this.owned = owned;
        this.cancels = cancels;
    }

    void register(Map<String, ToolHandler> handlers) {
        handlers.put("create_vm", this::create);
        handlers.put("list_vms", this::list);
        handlers.put("vm_status", c -> status(vm(c)));
        handlers.put("stop_vm", this::stop);
        handlers.put("destroy_vm", this::destroy);
    }

    Map<String, Object> create(Call c) throws VboxmcpException {
        CreateVmRequest asked = PolicyGuard.request(c.args());
        c.audit().put("vm", asked.vmName());
        c.audit().put("template", asked.template().toString());
        VmManager.ResolvedTemplate r = guard.check(manager.resolve(asked.template()));
        Set<String> finished = java.util.concurrent.ConcurrentHashMap.newKeySet();
        c.progress(0, CREATE_STEPS, "planning " + r.name() + "@" + r.version());
        // the exact version resolved above, so that the create makes what the policy checked
        CreateVmRequest.Builder b = PolicyGuard.withResources(c.args(),
                CreateVmRequest.builder(asked.vmName(), TemplateRef.of(r.name(), r.version().toString())))
                .progress(e -> {
                    if (!STEPS.contains(e.step())) {
                        return;
                    }
                    if (e.kind() == ProgressEvent.Kind.STEP_FINISHED) {
                        finished.add(e.step());
                    }
                    // progress counts distinct finished steps, and never reaches 13 before the VM is handed over
                    double done = Math.min(finished.size(), CREATE_STEPS - 1);
                    if (e.kind() == ProgressEvent.Kind.STEP_FINISHED) {
                        c.progress(done, CREATE_STEPS, e.step() + " done");
                    } else if (e.kind() == ProgressEvent.Kind.STEP_STARTED) {
                        c.progress(done, CREATE_STEPS, e.step() + ": " + e.message());
                    }
                });
        TemplateRef exact = TemplateRef.of(r.name(), r.version().toString());
        // a dry run first (the root stands in for the folders): nothing is made for a create the policy refuses
        PolicyGuard.Shared dry = guard.withShares(manager, b, exact, asked.vmName(), false);
        if (dry.definition() != null) {
            c.audit().put("shares", ShareFolders.audited(dry.definition()));
        }
        VmPlan plan = guard.check(manager.plan(dry.request().build()));
        c.audit().put("digest", plan.manifestDigest());
        OwnedVms.Entry e = owned.reserve(asked.vmName(), plan.memoryMb(), plan.cpus(), plan.diskMb());
        CreateVmRequest request;
        try {
            request = dry.definition() == null ? b.build()
                    : guard.shares().apply(b, dry.definition(), asked.vmName(), true).build();
        } catch (VboxmcpException | RuntimeException ex) {
            owned.release(asked.vmName());
            guard.shares().release(asked.vmName());
            throw ex;
        }
        CreateJob job = new CreateJob(manager, request);
        e.creating = job;
        Object requestId = c.requestId();
        if (requestId != null) {
            cancels.register(requestId, job::cancel);
        }
        try {
            e.vm = job.start().await();
            c.progress(CREATE_STEPS, CREATE_STEPS, "ready");
            return status(e);
        } catch (VboxmcpException | RuntimeException ex) {
            owned.release(request.vmName());
            guard.shares().release(request.vmName());  // the folders left empty go; anything written stays
            throw ex;
        } finally {
            e.creating = null;
            if (requestId != null) {
                cancels.unregister(requestId);
            }
        }
    }

    Map<String, Object> list(Call c) throws VboxmcpException {
        List<Map<String, Object>> vms = new java.util.ArrayList<>();
        List<String> creating = new java.util.ArrayList<>();
        for (OwnedVms.Entry e : owned.all()) {
            if (e.vm == null) {
                creating.add(e.name);
            } else {
                Map<String, Object> st = status(e);
                // a VM the idle reaper (or a concurrent destroy) has just destroyed but not yet released is gone
                if (!VmState.DESTROYED.name().equals(st.get("state"))) {
                    vms.add(st);
                }
            }
        }
        return Map.of("vms", vms, "creating", creating);
    }

    Map<String, Object> stop(Call c) throws VboxmcpException {
        OwnedVms.Entry e = vm(c);
        e.vm.stop();
        return status(e);
    }

    Map<String, Object> destroy(Call c) throws VboxmcpException {
        String name = c.args().name("name");
        c.audit().put("vm", name);
        OwnedVms.Entry e = owned.touch(name).orElseThrow(() -> notOwned(name));
        boolean cancelled = false;
        CreateJob job = e.creating;
        if (e.vm == null && job != null) {
            // destroying a VM that is still being created cancels the create; its own call answers CANCELLED
            job.cancel();
            cancelled = true;
            try {
                job.await();
            } catch (VboxmcpException expected) {
                // the create's caller reports it
            }
        } else if (e.vm != null) {
            e.vm.destroy();
        }
        owned.release(name);
        guard.shares().release(name);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("destroyed", true);
        m.put("cancelled_create", cancelled);
        return m;
    }

    /** @return the owned, created VM the call names */
    OwnedVms.Entry vm(Call c) throws VboxmcpException {
        String name = c.args().name("name");
        c.audit().put("vm", name);
        OwnedVms.Entry e = owned.touch(name).orElseThrow(() -> notOwned(name));
        if (e.vm == null) {
            throw new VboxmcpException(ErrorCode.VM_NOT_FOUND, "'" + name + "' is still being created");
        }
        return e;
    }

    /** Work on an owned VM that may take long (exec, copies). */
    @FunctionalInterface
    interface GuestWork<T> {
        T run(OwnedVms.Entry e) throws VboxmcpException;
    }

    /** Runs {@code work} on the VM the call names; idle destroy leaves that VM alone until the work ends. */
    <T> T using(Call c, GuestWork<T> work) throws VboxmcpException {
        OwnedVms.Entry e = vm(c);
        owned.begin(e);
        try {
            return work.run(e);
        } finally {
            owned.end(e);
        }
    }

    static VboxmcpException notOwned(String name) {
        // VMs the operator made by other means are not the agent's business, not even their existence
        return new VboxmcpException(ErrorCode.VM_NOT_FOUND, "this server has no VM named '" + name + "'");
    }

    Map<String, Object> status(OwnedVms.Entry e) throws VboxmcpException {
        Vm vm = e.vm;
        Map<String, Object> m = new LinkedHashMap<>();
        VmState state;
        try {
            state = vm.state();
        } catch (VboxmcpException ex) {
            state = VmState.UNKNOWN;
        }
        m.put("name", vm.name());
        m.put("state", state.name());
        m.put("template", vm.plan().template().name());
        m.put("version", vm.plan().template().version().toString());
        m.put("memory_mb", vm.plan().memoryMb());
        m.put("cpus", vm.plan().cpus());
        m.put("disk_mb", vm.plan().diskMb());
        Map<String, Object> ports = new TreeMap<>();
        // the template's ports only: SSH (guest 22) is the server's channel into the guest, not the agent's
        vm.forwardedPorts().forEach((g, h) -> {
            if (g != 22) {
                ports.put(String.valueOf(g), h);
            }
        });
        m.put("ports", ports);
        m.put("idle_seconds", owned.idleFor(e).toSeconds());
        return m;
    }
}
