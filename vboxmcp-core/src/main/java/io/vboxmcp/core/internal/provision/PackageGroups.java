package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ExecResult;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.VboxmcpException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The template's {@code packages}: a map from group name to package names. Every group goes to the guest
 * distribution's own package manager, {@code system} first and then the others in document order, one run per group
 * (so a failure names its group); only the groups named after a language package manager, {@code pip} and
 * {@code npm}, go to that manager instead.
 */
final class PackageGroups {
    static final String SYSTEM = "system";
    static final String PIP = "pip";
    static final String NPM = "npm";
    static final Duration TIMEOUT = Duration.ofMinutes(30);

    /** A distribution package manager: how to refresh its index (null: nothing to do) and how to install. */
    record DistroManager(String command, String refresh, String install, Map<String, String> environment) { }

    /** The distribution managers, in detection order. */
    static final Map<String, DistroManager> DISTRO = new LinkedHashMap<>();

    static {
        Map<String, String> apt = Map.of("DEBIAN_FRONTEND", "noninteractive");
        // keep the guest's configuration files when a package ships a new one: no prompt can be answered here
        add(new DistroManager("apt-get", "apt-get update -q", "apt-get install -y -q -o Dpkg::Options::=--force-confdef "
                + "-o Dpkg::Options::=--force-confold", apt));
        add(new DistroManager("dnf", null, "dnf install -y", Map.of()));
        add(new DistroManager("yum", null, "yum install -y", Map.of()));
        add(new DistroManager("zypper", null, "zypper --non-interactive install", Map.of()));
        add(new DistroManager("apk", null, "apk add --no-cache", Map.of()));
        add(new DistroManager("pacman", "pacman -Sy --noconfirm", "pacman -S --noconfirm --needed", Map.of()));
        add(new DistroManager("tpkg", null, "tpkg install", Map.of()));
    }

    private static void add(DistroManager m) {
        DISTRO.put(m.command(), m);
    }

    /** Distribution package names, optionally with a version or release ({@code git=1:2.39*}, {@code vim/bookworm}). */
    private static final Pattern DISTRO_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9+._:=~<>*/-]{0,200}");
    /** PEP 508 name with extras and version specifiers; no URLs or paths ({@code requests[socks]>=2,<3}). */
    private static final Pattern PIP_NAME = Pattern.compile(
            "[A-Za-z0-9](?:[A-Za-z0-9._-]{0,200})(?:\\[[A-Za-z0-9._,-]{1,200}])?(?:[<>=!~]=?=?[A-Za-z0-9.*+!_-]{1,60}"
                    + "(?:,[<>=!~]=?=?[A-Za-z0-9.*+!_-]{1,60}){0,10})?");
    /** npm name, optionally scoped, with a version or range; no URLs, paths or git specs. */
    private static final Pattern NPM_NAME = Pattern.compile(
            "(?:@[a-z0-9][a-z0-9._-]{0,100}/)?[a-z0-9][a-z0-9._-]{0,200}(?:@[A-Za-z0-9.^~<>=*|_+-]{1,60})?");

    private PackageGroups() {
    }

    /** @return the groups the distribution's manager installs, {@code system} first, then in document order */
    static List<Map.Entry<String, List<String>>> distroGroups(Map<String, List<String>> packages) {
        List<Map.Entry<String, List<String>>> out = new ArrayList<>();
        if (!packages.getOrDefault(SYSTEM, List.of()).isEmpty()) {
            out.add(Map.entry(SYSTEM, packages.get(SYSTEM)));
        }
        packages.forEach((group, names) -> {
            if (!group.equals(SYSTEM) && !group.equals(PIP) && !group.equals(NPM) && !names.isEmpty()) {
                out.add(Map.entry(group, names));
            }
        });
        return out;
    }

    /**
     * Checks every package name of every group before anything runs in the guest.
     *
     * @throws ProvisioningException naming the group and the refused name
     */
    static void check(Map<String, List<String>> packages) throws ProvisioningException {
        for (Map.Entry<String, List<String>> e : packages.entrySet()) {
            Pattern p = e.getKey().equals(PIP) ? PIP_NAME : e.getKey().equals(NPM) ? NPM_NAME : DISTRO_NAME;
            for (String name : e.getValue()) {
                if (!p.matcher(name).matches()) {
                    String shown = name.length() > 60 ? name.substring(0, 60) + "..." : name;
                    throw GuestSteps.refused(item(e.getKey()), "refusing package name '"
                            + shown.replaceAll("[^\\x20-\\x7e]", "?") + "' in group '" + e.getKey() + "'"
                            + (p == DISTRO_NAME ? "" : " (" + e.getKey() + " takes registry names with an optional "
                            + "version, not URLs or paths)"));
                }
            }
        }
    }

    /** @return the progress/error item of a group: {@code packages.<group>} */
    static String item(String group) {
        return "packages." + group;
    }

    /**
     * Finds the guest's distribution package manager (one round trip).
     *
     * @param forItem the item named if there is none
     */
    static DistroManager detect(GuestSteps steps, String forItem) throws VboxmcpException {
        StringBuilder probe = new StringBuilder("for m in");
        DISTRO.keySet().forEach(m -> probe.append(' ').append(m));
        probe.append("; do if command -v $m >/dev/null 2>&1; then echo $m; exit 0; fi; done; exit 3");
        ExecResult r = steps.exec("package manager", probe.toString(), null, null, Map.of(), GuestSteps.SHORT);
        DistroManager m = DISTRO.get(r.stdout().trim());
        if (r.exitCode() != 0 || m == null) {
            throw GuestSteps.refused(forItem, "the guest has no known package manager (looked for "
                    + String.join(", ", DISTRO.keySet()) + ")");
        }
        return m;
    }

    /** @return {@code install 'a' 'b'} for the given names (already checked) */
    static String command(String install, List<String> names) {
        StringBuilder b = new StringBuilder(install);
        for (String n : names) {
            b.append(' ').append(GuestSteps.q(n));
        }
        return b.toString();
    }
}
