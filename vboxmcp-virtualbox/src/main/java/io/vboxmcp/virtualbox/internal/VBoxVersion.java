package io.vboxmcp.virtualbox.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A VirtualBox version as {@code VBoxManage --version} prints it ({@code 7.1.4r165100}, {@code 6.1.38_Ubuntur153438})
 * or as the web service reports it ({@code 7.1.4}), plus any {@code WARNING:} paragraphs printed before it.
 *
 * @param major    major
 * @param minor    minor
 * @param patch    patch
 * @param flavour  distro/build suffix such as {@code _Ubuntu} or {@code _OSE}, empty if none
 * @param revision SVN revision, 0 if not printed
 * @param warnings each WARNING paragraph as one line, never null
 */
public record VBoxVersion(int major, int minor, int patch, String flavour, long revision, List<String> warnings) {
    private static final Pattern LINE = Pattern.compile("^(\\d+)\\.(\\d+)\\.(\\d+)(_[^\\s]*?|[A-Za-z]+?)?(?:r(\\d+))?\\s*$");

    public VBoxVersion {
        flavour = Objects.requireNonNullElse(flavour, "");
        warnings = List.copyOf(warnings);
    }

    /**
     * Parses {@code --version} output: WARNING paragraphs (with their indented continuation lines) are collected,
     * the first line that is a version wins.
     *
     * @return empty if no line is a version (for example an empty output)
     */
    public static Optional<VBoxVersion> parse(String output) {
        List<String> warnings = new ArrayList<>();
        StringBuilder current = null;
        for (String raw : output.replace("\r\n", "\n").split("\n")) {
            String line = raw.stripTrailing();
            if (line.startsWith("WARNING:")) {
                if (current != null) {
                    warnings.add(current.toString());
                }
                current = new StringBuilder(line.substring("WARNING:".length()).strip());
                continue;
            }
            Matcher m = LINE.matcher(line.strip());
            if (m.matches()) {
                if (current != null) {
                    warnings.add(current.toString());
                }
                return Optional.of(new VBoxVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                        Integer.parseInt(m.group(3)), m.group(4), m.group(5) == null ? 0 : Long.parseLong(m.group(5)),
                        warnings));
            }
            if (current != null && !line.isBlank()) {
                current.append(' ').append(line.strip());
            }
        }
        return Optional.empty();
    }

    /** @return {@code major.minor.patch} */
    public String shortString() {
        return major + "." + minor + "." + patch;
    }

    /** @return whether vboxmcp drives this version at all (7.0 and newer) */
    public boolean supported() {
        return major >= 7;
    }

    /** @return whether this version is one the fixtures and sequence tests cover (7.0, 7.1, 7.2) */
    public boolean tested() {
        return major == 7 && minor <= 2;
    }

    /**
     * 7.0.0 lists no port forwards in {@code showvminfo} once a NIC has two or more (Vagrant's Version_7_0 works
     * around it by reading the settings file); the driver does the same.
     */
    public boolean forwardListingBroken() {
        return major == 7 && minor == 0 && patch == 0;
    }

    /** @return whether a WARNING says the kernel driver is missing: VMs cannot start */
    public boolean kernelModuleMissing() {
        return warnings.stream().anyMatch(w -> w.contains("vboxdrv") || w.toLowerCase(java.util.Locale.ROOT)
                .contains("kernel module"));
    }

    /** @return the web-service API version string for this release, for example {@code 7_1} */
    public String apiVersion() {
        return major + "_" + minor;
    }

    @Override
    public String toString() {
        return shortString() + flavour + (revision == 0 ? "" : "r" + revision);
    }
}
