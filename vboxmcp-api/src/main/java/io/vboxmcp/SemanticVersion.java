package io.vboxmcp;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict Semantic Versioning 2.0.0 version. Ordering is SemVer precedence: build metadata is ignored by
 * {@link #compareTo} (but kept by {@link #equals}), a pre-release sorts before its release, numeric identifiers
 * compare numerically and below alphanumeric ones.
 *
 * @since 0.2.0
 */
public final class SemanticVersion implements Comparable<SemanticVersion> {
    // The regular expression recommended by semver.org, anchored; no leading "v", no leading zeros.
    private static final Pattern SEMVER = Pattern.compile(
            "(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)"
                    + "(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                    + "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?");
    private static final int MAX_LENGTH = 256;

    private final long major;
    private final long minor;
    private final long patch;
    private final List<String> preRelease;
    private final List<String> build;

    private SemanticVersion(long major, long minor, long patch, List<String> preRelease, List<String> build) {
        this.major = major;
        this.minor = minor;
        this.patch = patch;
        this.preRelease = List.copyOf(preRelease);
        this.build = List.copyOf(build);
    }

    /**
     * Parses a strict SemVer 2.0.0 string such as {@code 1.2.3-rc.1+build.5}.
     *
     * @param text never null
     * @return the version, never null
     * @throws VersionFormatException if {@code text} is not a strict SemVer 2.0.0 version
     */
    public static SemanticVersion parse(String text) throws VersionFormatException {
        Objects.requireNonNull(text, "text");
        if (text.length() > MAX_LENGTH) {
            throw new VersionFormatException("version is longer than " + MAX_LENGTH + " characters");
        }
        Matcher m = SEMVER.matcher(text);
        if (!m.matches()) {
            throw new VersionFormatException("'" + printable(text) + "' is not a semantic version (expected MAJOR.MINOR.PATCH, "
                    + "for example 1.0.0 or 2.1.0-rc.1)");
        }
        try {
            return new SemanticVersion(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    m.group(4) == null ? List.of() : List.of(m.group(4).split("\\.")),
                    m.group(5) == null ? List.of() : List.of(m.group(5).split("\\.")));
        } catch (NumberFormatException e) {
            throw new VersionFormatException("'" + printable(text) + "' has a number component that is too large");
        }
    }

    /**
     * @param major the major version, at least 0
     * @param minor the minor version, at least 0
     * @param patch the patch version, at least 0
     * @return a release version {@code major.minor.patch}
     * @throws IllegalArgumentException if a component is negative
     */
    public static SemanticVersion of(long major, long minor, long patch) {
        if (major < 0 || minor < 0 || patch < 0) {
            throw new IllegalArgumentException("version components must not be negative");
        }
        return new SemanticVersion(major, minor, patch, List.of(), List.of());
    }

    /**
     * @param text the text to check, may be null
     * @return whether {@code text} is a strict SemVer 2.0.0 version
     */
    public static boolean isValid(String text) {
        if (text == null || text.length() > MAX_LENGTH || !SEMVER.matcher(text).matches()) {
            return false;
        }
        try {
            parse(text);  // the grammar admits numbers of any length; each must also fit a long
            return true;
        } catch (VersionFormatException e) {
            return false;
        }
    }

    /** @return the major version */
    public long major() {
        return major;
    }

    /** @return the minor version */
    public long minor() {
        return minor;
    }

    /** @return the patch version */
    public long patch() {
        return patch;
    }

    /** @return the dot-separated pre-release identifiers, empty for a release, never null */
    public List<String> preRelease() {
        return preRelease;
    }

    /** @return the build metadata identifiers, never null */
    public List<String> build() {
        return build;
    }

    /** @return whether the version has pre-release identifiers */
    public boolean isPreRelease() {
        return !preRelease.isEmpty();
    }

    /** @return this version with a pre-release of {@code identifiers} and no build metadata */
    SemanticVersion withPreRelease(List<String> identifiers) {
        return new SemanticVersion(major, minor, patch, identifiers, List.of());
    }

    /** @return {@code major.minor.patch} without pre-release or build */
    public SemanticVersion release() {
        return new SemanticVersion(major, minor, patch, List.of(), List.of());
    }

    /** @return whether this and {@code other} have the same major, minor and patch */
    boolean sameTuple(SemanticVersion other) {
        return major == other.major && minor == other.minor && patch == other.patch;
    }

    @Override
    public int compareTo(SemanticVersion o) {
        int c = Long.compare(major, o.major);
        if (c == 0) c = Long.compare(minor, o.minor);
        if (c == 0) c = Long.compare(patch, o.patch);
        if (c != 0) return c;
        if (preRelease.isEmpty() || o.preRelease.isEmpty()) {
            return Boolean.compare(preRelease.isEmpty(), o.preRelease.isEmpty());
        }
        int n = Math.min(preRelease.size(), o.preRelease.size());
        for (int i = 0; i < n; i++) {
            c = compareIdentifier(preRelease.get(i), o.preRelease.get(i));
            if (c != 0) return c;
        }
        return Integer.compare(preRelease.size(), o.preRelease.size());
    }

    private static int compareIdentifier(String a, String b) {
        boolean an = isNumeric(a);
        boolean bn = isNumeric(b);
        if (an && bn) {
            return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
        }
        if (an != bn) {
            return an ? -1 : 1;
        }
        return a.compareTo(b);
    }

    private static boolean isNumeric(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        }
        return true;
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(80).forEach(cp -> {
            if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || Character.getType(cp) == Character.FORMAT) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SemanticVersion v && compareTo(v) == 0 && build.equals(v.build);
    }

    @Override
    public int hashCode() {
        return Objects.hash(major, minor, patch, preRelease, build);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder().append(major).append('.').append(minor).append('.').append(patch);
        if (!preRelease.isEmpty()) b.append('-').append(String.join(".", preRelease));
        if (!build.isEmpty()) b.append('+').append(String.join(".", build));
        return b.toString();
    }

    static List<String> zeroPre() {
        List<String> l = new ArrayList<>(1);
        l.add("0");
        return l;
    }
}
