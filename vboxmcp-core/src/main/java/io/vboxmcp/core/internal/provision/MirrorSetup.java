package io.vboxmcp.core.internal.provision;

import io.vboxmcp.PackageMirrors;
import io.vboxmcp.VboxmcpException;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Points the guest's apt, pip and npm at the manager's {@link PackageMirrors} (docs/templates.md, "Package mirrors").
 * The values were checked when the record was made (URL shape, names); they are quoted again here.
 */
final class MirrorSetup {
    static final String APT_SOURCES = "/etc/apt/sources.list.d/vboxmcp-mirror.sources";
    static final String APT_KEYS = "/etc/apt/keyrings";
    /** The guest's own sources are moved here, not deleted, so a user can put them back. */
    static final String APT_DISABLED = "/etc/apt/sources.disabled-by-vboxmcp";
    static final String PIP_CONF = "/etc/pip.conf";
    static final String ITEM = "package mirrors";

    private MirrorSetup() {
    }

    /** Writes the apt sources (if the guest has apt) and {@code /etc/pip.conf}; npm is set per npm group. */
    static void apply(GuestSteps steps, PackageMirrors mirrors, boolean guestHasApt) throws VboxmcpException {
        if (!mirrors.apt().isEmpty()) {
            if (guestHasApt) {
                apt(steps, mirrors);
            } else {
                steps.warn(ITEM, "apt mirrors are configured but the guest has no apt-get; left as they are");
            }
        }
        if (mirrors.pipIndex() != null) {
            steps.emit(ITEM, "pip index " + mirrors.pipIndex());
            steps.guest.upload(pipConf(mirrors).getBytes(StandardCharsets.UTF_8), PIP_CONF, 0644);
        }
    }

    private static void apt(GuestSteps steps, PackageMirrors mirrors) throws VboxmcpException {
        StringBuilder sources = new StringBuilder("# written by vboxmcp from the manager's package mirrors\n");
        List<PackageMirrors.AptSource> apt = mirrors.apt();
        for (int i = 0; i < apt.size(); i++) {
            PackageMirrors.AptSource s = apt.get(i);
            sources.append("\nTypes: deb\nURIs: ").append(s.uri()).append("\nSuites: ")
                    .append(String.join(" ", s.suites())).append('\n');
            if (!s.components().isEmpty()) {
                sources.append("Components: ").append(String.join(" ", s.components())).append('\n');
            }
            if (s.signingKey() != null) {
                String key = APT_KEYS + "/vboxmcp-mirror-" + i + (s.armored() ? ".asc" : ".gpg");
                steps.guest.upload(s.signingKey(), key, 0644);
                sources.append("Signed-By: ").append(key).append('\n');
            } else {
                // only with the explicit allowUnsigned of the record: no signature check at all
                sources.append("Trusted: yes\n");
            }
        }
        steps.emit(ITEM, apt.size() + " apt source(s)" + (mirrors.disableDefaultAptSources()
                ? ", the guest's own sources moved to " + APT_DISABLED : ""));
        steps.guest.upload(sources.toString().getBytes(StandardCharsets.UTF_8), APT_SOURCES, 0644);
        if (mirrors.disableDefaultAptSources()) {
            steps.run(ITEM, disableDefaults());
        }
    }

    /** Moves every other sources file aside (sources.list and sources.list.d/*.list|*.sources). */
    static String disableDefaults() {
        return "mkdir -p " + APT_DISABLED + " && { [ ! -e /etc/apt/sources.list ] || mv /etc/apt/sources.list "
                + APT_DISABLED + "/; } && for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do "
                + "[ -e \"$f\" ] && [ \"$f\" != " + APT_SOURCES + " ] && { mv \"$f\" " + APT_DISABLED + "/ || exit 1; }; "
                + "done; true";
    }

    static String pipConf(PackageMirrors mirrors) {
        StringBuilder b = new StringBuilder("# written by vboxmcp from the manager's package mirrors\n[global]\n")
                .append("index-url = ").append(mirrors.pipIndex()).append('\n');
        if (mirrors.pipTrustedHost()) {
            b.append("trusted-host = ").append(mirrors.pipIndex().getHost()).append('\n');
        }
        return b.toString();
    }

    /** @return the command that sets npm's registry for every user of the guest, or null if none is configured */
    static String npmRegistry(PackageMirrors mirrors) {
        return mirrors.npmRegistry() == null ? null
                : "npm config set --global registry " + GuestSteps.q(mirrors.npmRegistry().toString());
    }
}
