package io.vboxmcp.core.internal.plan;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ResourceLimitException;
import io.vboxmcp.ResourcePolicy;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.template.SharedFolder;
import io.vboxmcp.template.TemplateDefinition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Request parameters over template minimums, checked against the resource policy and the host; shared folders
 * resolved and checked against the allow-list. Pure: the same inputs give the same plan, and nothing is created.
 */
public final class Planner {
    /** What the host has; 0 means unknown (no host check). */
    public record HostCapacity(long memoryMb, int cpus, long diskMb) {
        public static HostCapacity probe(Path home) {
            long mem = 0;
            if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os) {
                mem = os.getTotalMemorySize() / (1024 * 1024);
            }
            long disk = 0;
            try {
                Path p = home;
                while (p != null && !Files.exists(p)) {
                    p = p.getParent();
                }
                if (p != null) {
                    disk = Files.getFileStore(p).getTotalSpace() / (1024 * 1024);
                }
            } catch (IOException ignored) {
                // unknown disk size: no host check
            }
            return new HostCapacity(mem, Runtime.getRuntime().availableProcessors(), disk);
        }
    }

    private final ResourcePolicy policy;
    private final HostCapacity host;
    private final List<Path> allowedRoots;

    public Planner(ResourcePolicy policy, HostCapacity host, List<Path> allowedRoots) {
        this.policy = policy;
        this.host = host;
        this.allowedRoots = allowedRoots.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    }

    public VmPlan plan(CreateVmRequest req, TemplateDefinition t, String digest, String signer, String driverId)
            throws VboxmcpException {
        return plan(req, t, digest, signer, driverId, List.of(), java.util.Map.of());
    }

    /** A plan of a composed template, with the components it was built from and where each field came from. */
    public VmPlan plan(CreateVmRequest req, TemplateDefinition t, String digest, String signer, String driverId,
                       List<io.vboxmcp.template.TemplateComponent> components, java.util.Map<String, String> provenance)
            throws VboxmcpException {
        int memory = resolve("memory", "min_ram", "MB", req.memoryMb(), t.minRamMb(), policy.defaultMemoryMb(),
                policy.maxMemoryMb(), host.memoryMb());
        int cpus = resolve("cpus", "min_cores", "", req.cpus(), t.minCores(), policy.defaultCpus(), policy.maxCpus(),
                host.cpus());
        int disk = resolve("disk_size", "min_disk", "MB", req.diskSizeMb(), t.minDiskMb(), policy.defaultDiskMb(),
                policy.maxDiskMb(), host.diskMb());
        List<PortForward> ports = new ArrayList<>();
        ports.add(new PortForward(22, 0, "127.0.0.1"));
        for (int p : t.ports()) {
            if (p != 22) {
                ports.add(new PortForward(p, 0, "127.0.0.1"));
            }
        }
        List<PlannedSharedFolder> shares = new ArrayList<>();
        for (SharedFolder f : t.sharedFolders()) {
            if (!f.readOnly() && !req.writableShares().contains(f.name())) {
                // EXE-02: a template may ask for a writable host folder, only the caller may grant it
                throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "shared folder '" + f.name() + "' of template "
                        + t.coordinates() + " asks to be writable from the guest; allow it explicitly "
                        + "(CreateVmRequest.Builder.allowWritableShare(\"" + f.name() + "\"), vboxmcp create --allow-write "
                        + f.name() + ") or use a template that shares it read-only");
            }
            String raw = req.hostPaths().getOrDefault(f.name(), f.hostPath());
            shares.add(new PlannedSharedFolder(f.name(), allowedHostPath(f.name(), raw), f.guestPath(), f.readOnly()));
        }
        for (String share : req.writableShares()) {
            if (t.sharedFolders().stream().noneMatch(f -> f.name().equals(share))) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "the request allows shared folder '" + share
                        + "' to be writable, but template " + t.coordinates() + " does not have it");
            }
        }
        for (String share : req.hostPaths().keySet()) {
            if (t.sharedFolders().stream().noneMatch(f -> f.name().equals(share))) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "the request sets a host path for shared folder '"
                        + share + "', which template " + t.coordinates() + " does not have");
            }
        }
        return new VmPlan(req.vmName(), t, digest, signer, driverId, memory, cpus, disk, ports, shares, components,
                provenance);
    }

    private int resolve(String param, String field, String unit, Integer requested, int templateMin, int policyDefault,
                        int policyMax, long hostMax) throws ResourceLimitException {
        long max = policyMax > 0 ? policyMax : hostMax;
        String u = unit.isEmpty() ? "" : " " + unit;
        if (requested != null && requested < 1) {
            throw new ResourceLimitException(param + " must be positive, got " + requested);
        }
        if (requested != null && requested < templateMin) {
            throw new ResourceLimitException(param + " " + requested + u + " is below the template's " + field + " of "
                    + templateMin + u);
        }
        int value = requested != null ? requested : templateMin > 0 ? templateMin : policyDefault;
        if (max > 0 && value > max) {
            String who = policyMax > 0 ? "the resource policy's maximum" : "what this host has";
            throw new ResourceLimitException(param + " " + value + u
                    + (requested == null ? " (the template's " + field + ")" : "") + " exceeds " + who + " of " + max + u);
        }
        return value;
    }

    private Path allowedHostPath(String share, String raw) throws VboxmcpException {
        String expanded = raw.equals("~") || raw.startsWith("~/")
                ? System.getProperty("user.home") + raw.substring(1) : raw;
        Path p = Path.of(expanded);
        if (!p.isAbsolute()) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "shared folder '" + share + "': host path '" + raw
                    + "' must be absolute or start with ~/");
        }
        if (!Files.isDirectory(p)) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "shared folder '" + share + "': host folder " + p
                    + " does not exist");
        }
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "shared folder '" + share + "': " + e.getMessage(), e);
        }
        for (Path root : allowedRoots) {
            Path r;
            try {
                r = Files.exists(root) ? root.toRealPath() : root;
            } catch (IOException e) {
                r = root;
            }
            if (real.startsWith(r)) {
                return real;
            }
        }
        throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "shared folder '" + share + "': host folder " + real
                + " is outside the allowed roots " + allowedRoots
                + " (allow it with VmManager.Builder.allowSharedFolderRoot)");
    }
}
