package io.vboxmcp;

import io.vboxmcp.template.TemplateComponent;
import io.vboxmcp.template.TemplateDefinition;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything needed to realise a VM, decided before any hypervisor work: a pure value, printable as a dry run.
 * Drivers receive it; nothing after planning reads the template document again.
 *
 * @param vmName         VM name, never null
 * @param template       the validated template, never null
 * @param manifestDigest the template's {@code sha256:} manifest digest, never null
 * @param signer         fingerprint of the key that signed the template, null if unsigned (allowed by policy)
 * @param driverId       hypervisor driver that will realise it, never null
 * @param memoryMb       guest memory
 * @param cpus           guest vCPUs
 * @param diskMb         guest disk size
 * @param ports          forwards for SSH (guest 22, first) and for every template port, never null
 * @param sharedFolders  resolved and allowed shared folders, never null
 * @param components     the bases and features {@code template} was composed from, in merge order; empty for a
 *                       template that extends and requires nothing; never null
 * @param provenance     for a composed template, each field or entry of {@code template} (as printed, for example
 *                       {@code "min_ram: 4096"}) to the {@code name@version} it came from, in document order; never null
 *
 * @since 0.2.0
 */
public record VmPlan(String vmName, TemplateDefinition template, String manifestDigest, String signer, String driverId,
                     int memoryMb, int cpus, int diskMb, List<PortForward> ports,
                     List<PlannedSharedFolder> sharedFolders, List<TemplateComponent> components,
                     Map<String, String> provenance) {
    /**
     * A plan of a template that is not composed.
     *
     * @param vmName         VM name, never null
     * @param template       the validated template, never null
     * @param manifestDigest the template's manifest digest, never null
     * @param signer         fingerprint of the signing key, null if unsigned
     * @param driverId       hypervisor driver, never null
     * @param memoryMb       guest memory
     * @param cpus           guest vCPUs
     * @param diskMb         guest disk size
     * @param ports          port forwards, never null
     * @param sharedFolders  shared folders, never null
     */
    public VmPlan(String vmName, TemplateDefinition template, String manifestDigest, String signer, String driverId,
                  int memoryMb, int cpus, int diskMb, List<PortForward> ports, List<PlannedSharedFolder> sharedFolders) {
        this(vmName, template, manifestDigest, signer, driverId, memoryMb, cpus, diskMb, ports, sharedFolders,
                List.of(), Map.of());
    }

    /**
     * Checks the components and copies the collections.
     *
     * @param vmName         VM name, never null
     * @param template       the validated template, never null
     * @param manifestDigest the template's {@code sha256:} manifest digest, never null
     * @param signer         fingerprint of the key that signed the template, null if unsigned (allowed by policy)
     * @param driverId       hypervisor driver that will realise it, never null
     * @param memoryMb       guest memory
     * @param cpus           guest vCPUs
     * @param diskMb         guest disk size
     * @param ports          forwards for SSH (guest 22, first) and for every template port, never null
     * @param sharedFolders  resolved and allowed shared folders, never null
     * @param components     the bases and features composed, in merge order; null is read as none
     * @param provenance     field to the {@code name@version} it came from; null is read as none
     */
    public VmPlan {
        // plans saved before composition existed have neither
        components = components == null ? List.of() : List.copyOf(components);
        provenance = provenance == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(provenance));
        Objects.requireNonNull(vmName, "vmName");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(template.baseImage(), "template.baseImage");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        Objects.requireNonNull(driverId, "driverId");
        ports = List.copyOf(ports);
        sharedFolders = List.copyOf(sharedFolders);
        if (memoryMb < 1 || cpus < 1 || diskMb < 1) {
            throw new IllegalArgumentException("memory, cpus and disk must be positive");
        }
    }

    /** @return the plan as the lines a dry run prints */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append("vm:        ").append(vmName).append('\n');
        b.append("template:  ").append(template.coordinates()).append(" (").append(manifestDigest).append(")\n");
        b.append("signed by: ").append(signer == null ? "(unsigned, allowed by policy)" : signer).append('\n');
        b.append("image:     ").append(template.baseImage()).append('\n');
        b.append("driver:    ").append(driverId).append('\n');
        b.append("resources: ").append(memoryMb).append(" MB memory, ").append(cpus).append(" cpus, ")
                .append(diskMb).append(" MB disk\n");
        for (PortForward p : ports) {
            b.append("port:      guest ").append(p.guestPort()).append(" -> ").append(p.hostAddress()).append(':')
                    .append(p.hostPort() == 0 ? "(auto)" : String.valueOf(p.hostPort())).append('\n');
        }
        for (PlannedSharedFolder f : sharedFolders) {
            b.append("share:     ").append(f.hostPath()).append(" -> ").append(f.guestPath())
                    .append(f.readOnly() ? " (read-only)" : " (read-write)").append('\n');
        }
        template.packages().forEach((mgr, pkgs) -> b.append("packages:  ").append(mgr).append(": ")
                .append(String.join(" ", pkgs)).append('\n'));
        template.scripts().forEach(s -> b.append("script:    ").append(s.name()).append(" (as ")
                .append(s.runAs() == null ? "root" : s.runAs()).append(")\n"));
        for (TemplateComponent c : components) {
            b.append("composed:  ").append(c.role()).append(' ').append(c.coordinates()).append(" from ")
                    .append(c.sourceId()).append(" (").append(c.manifestDigest()).append(", ")
                    .append(c.signer() == null ? "unsigned" : "signed by " + c.signer()).append(")\n");
        }
        provenance.forEach((field, from) -> b.append("from:      ").append(field).append(" (from ").append(from)
                .append(")\n"));
        return b.toString();
    }
}
