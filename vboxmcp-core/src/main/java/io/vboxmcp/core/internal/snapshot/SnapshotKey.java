package io.vboxmcp.core.internal.snapshot;

import io.vboxmcp.PackageMirrors;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.VmPlan;
import io.vboxmcp.core.internal.util.Digests;
import io.vboxmcp.core.internal.util.Json;
import io.vboxmcp.spi.BaseImage;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The key of a ready snapshot: every part a restored clone must share with the saved machine, hashed. Core's parts
 * are the template (name, version, manifest digest), the base image digest, the resources, the guest side of the
 * ports and shared folders (host ports are chosen and shares attached per clone, so host paths are not in it), the
 * SSH login user and the package mirrors provisioning used; the driver adds its own (hypervisor version, machine
 * type, device layout, driver version). Any part changing gives another key, so an old snapshot is never restored
 * for a changed template or machine.
 */
public final class SnapshotKey {
    /** Bumped whenever the meaning of a snapshot changes (the identity reset, the parts). */
    static final String FORMAT = "1";

    private SnapshotKey() {
    }

    /** @return core's parts for {@code plan} on {@code image} */
    public static Map<String, String> coreParts(VmPlan plan, BaseImage image, String sshUser, PackageMirrors mirrors) {
        Map<String, String> p = new TreeMap<>();
        p.put("format", FORMAT);
        p.put("template", plan.template().name() + "@" + plan.template().version());
        p.put("template.digest", plan.manifestDigest());
        p.put("image.reference", image.reference());
        p.put("image.digest", image.digest());
        p.put("driver", plan.driverId());
        p.put("memory", Integer.toString(plan.memoryMb()));
        p.put("cpus", Integer.toString(plan.cpus()));
        p.put("disk", Integer.toString(plan.diskMb()));
        p.put("ports", plan.ports().stream().map(PortForward::guestPort).sorted().map(String::valueOf)
                .collect(Collectors.joining(",")));
        p.put("shares", plan.sharedFolders().stream().map(SnapshotKey::share).sorted().collect(Collectors.joining(";")));
        p.put("ssh.user", sshUser);
        p.put("mirrors", sha256(Json.MAPPER.valueToTree(mirrors == null ? PackageMirrors.NONE : mirrors).toString()));
        return p;
    }

    private static String share(PlannedSharedFolder f) {
        return f.name() + ":" + f.guestPath() + ":" + (f.readOnly() ? "ro" : "rw");
    }

    /** @return the hex SHA-256 of the parts, sorted by name, one {@code name=value} line each */
    public static String hash(Map<String, String> parts) {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(parts).forEach((k, v) -> b.append(k).append('=').append(v.replace("\n", "\\n")).append('\n'));
        return sha256(b.toString());
    }

    static String sha256(String s) {
        return Digests.sha256Hex(s);
    }
}
