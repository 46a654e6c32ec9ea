package io.vboxmcp;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A set of versions in the npm/Cargo range syntax that template authors already know:
 * {@code 1.2.3} (exactly), {@code ^1.2}, {@code ~1.2.3}, {@code >=1 <2}, {@code 1.x}, {@code *},
 * {@code 1.2.3 - 2.0.0}, and alternatives joined by {@code ||}.
 *
 * <p>Pre-releases follow npm's rule: a pre-release version matches only if some comparator of the same
 * alternative names a pre-release of the same {@code major.minor.patch} (so {@code ^1.0} never picks
 * {@code 2.0.0-rc.1}, but {@code >=2.0.0-rc.0} does).
 *
 * @since 0.2.0
 */
public final class VersionRange {
    private static final int MAX_LENGTH = 1024;
    private static final Pattern PARTIAL = Pattern.compile(
            "v?([xX*]|0|[1-9]\\d*)(?:\\.([xX*]|0|[1-9]\\d*)(?:\\.([xX*]|0|[1-9]\\d*)"
                    + "(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?)?)?");
    private static final Pattern COMPARATOR = Pattern.compile("(<=|>=|<|>|=|\\^|~>?|)\\s*(\\S+)");

    private enum Op { LT, LE, GT, GE, EQ }

    private record Comparator(Op op, SemanticVersion version) {
        boolean test(SemanticVersion v) {
            int c = v.compareTo(version);
            return switch (op) {
                case LT -> c < 0;
                case LE -> c <= 0;
                case GT -> c > 0;
                case GE -> c >= 0;
                case EQ -> c == 0;
            };
        }
    }

    private final String text;
    private final List<List<Comparator>> alternatives;

    private VersionRange(String text, List<List<Comparator>> alternatives) {
        this.text = text;
        this.alternatives = alternatives;
    }

    /**
     * @param text a range expression, never null; blank means any release version
     * @return the parsed range, never null
     * @throws VersionFormatException if {@code text} is not a valid range
     */
    public static VersionRange parse(String text) throws VersionFormatException {
        Objects.requireNonNull(text, "text");
        if (text.length() > MAX_LENGTH) {
            throw new VersionFormatException("version range is longer than " + MAX_LENGTH + " characters");
        }
        List<List<Comparator>> alts = new ArrayList<>();
        for (String alt : text.split("\\|\\|", -1)) {
            alts.add(parseAlternative(alt.trim(), text));
        }
        return new VersionRange(text.trim(), List.copyOf(alts));
    }

    /**
     * @param version a version, never null
     * @return a range matching exactly {@code version}
     */
    public static VersionRange exactly(SemanticVersion version) {
        return new VersionRange(version.toString(), List.of(List.of(new Comparator(Op.EQ, version))));
    }

    /**
     * @param version a version, never null
     * @return whether {@code version} lies in this range, never throws
     */
    public boolean contains(SemanticVersion version) {
        Objects.requireNonNull(version, "version");
        // plain loops: a resolver calls this once per published version (see VersionResolveBenchmark)
        for (List<Comparator> alt : alternatives) {
            if (matchesAll(alt, version) && (!version.isPreRelease() || namesPreReleaseOf(alt, version))) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesAll(List<Comparator> alt, SemanticVersion version) {
        for (int i = 0, n = alt.size(); i < n; i++) {
            if (!alt.get(i).test(version)) {
                return false;
            }
        }
        return true;
    }

    private static boolean namesPreReleaseOf(List<Comparator> alt, SemanticVersion version) {
        for (int i = 0, n = alt.size(); i < n; i++) {
            SemanticVersion c = alt.get(i).version();
            if (c.isPreRelease() && c.sameTuple(version)) {
                return true;
            }
        }
        return false;
    }

    /**
     * @param candidates never null
     * @return the highest candidate in this range
     */
    public Optional<SemanticVersion> highest(Collection<SemanticVersion> candidates) {
        SemanticVersion best = null;
        for (SemanticVersion v : candidates) {
            if (contains(v) && (best == null || v.compareTo(best) > 0)) {
                best = v;
            }
        }
        return Optional.ofNullable(best);
    }

    /** @return the exact version if this range is a single {@code =x.y.z} comparator */
    public Optional<SemanticVersion> exactVersion() {
        if (alternatives.size() == 1 && alternatives.get(0).size() == 1 && alternatives.get(0).get(0).op() == Op.EQ) {
            return Optional.of(alternatives.get(0).get(0).version());
        }
        return Optional.empty();
    }

    private static List<Comparator> parseAlternative(String alt, String whole) throws VersionFormatException {
        List<Comparator> out = new ArrayList<>();
        if (alt.isEmpty()) {
            out.add(new Comparator(Op.GE, SemanticVersion.of(0, 0, 0)));
            return out;
        }
        String[] hyphen = alt.split("\\s+-\\s+");
        if (hyphen.length == 2) {
            Partial lo = Partial.parse(hyphen[0], whole);
            Partial hi = Partial.parse(hyphen[1], whole);
            // a full bound keeps its pre-release: "1.0.0-rc.1 - 2.0.0-beta" is >=1.0.0-rc.1 <=2.0.0-beta
            out.add(new Comparator(Op.GE, lo.isFull() ? lo.exact() : lo.floor()));
            if (!hi.isAny()) {
                out.add(hi.isFull() ? new Comparator(Op.LE, hi.exact()) : new Comparator(Op.LT, hi.nextCeiling()));
            }
            return out;
        } else if (hyphen.length > 2) {
            throw bad(whole, "more than one hyphen range in '" + alt + "'");
        }
        Matcher m = COMPARATOR.matcher(alt);
        int pos = 0;
        while (pos < alt.length()) {
            while (pos < alt.length() && alt.charAt(pos) == ' ') pos++;
            if (pos >= alt.length()) break;
            if (!m.find(pos) || m.start() != pos) {
                throw bad(whole, "unexpected text at '" + alt.substring(pos) + "'");
            }
            desugar(m.group(1), Partial.parse(m.group(2), whole), out, whole);
            pos = m.end();
        }
        return out;
    }

    private static void desugar(String op, Partial p, List<Comparator> out, String whole) throws VersionFormatException {
        switch (op) {
            case "", "=" -> {
                if (p.isAny()) {
                    out.add(new Comparator(Op.GE, SemanticVersion.of(0, 0, 0)));
                } else if (p.isFull()) {
                    out.add(new Comparator(Op.EQ, p.exact()));
                } else {
                    out.add(new Comparator(Op.GE, p.floor()));
                    out.add(new Comparator(Op.LT, p.nextCeiling()));
                }
            }
            case "~", "~>" -> {
                out.add(new Comparator(Op.GE, p.isFull() ? p.exact() : p.floor()));
                if (!p.isAny()) {
                    out.add(new Comparator(Op.LT, p.minor == null
                            ? ceil(p.major + 1, 0, 0) : ceil(p.major, p.minor + 1, 0)));
                }
            }
            case "^" -> {
                out.add(new Comparator(Op.GE, p.isFull() ? p.exact() : p.floor()));
                if (p.isAny()) {
                    return;
                }
                SemanticVersion upper;
                if (p.major > 0 || p.minor == null) {
                    upper = ceil(p.major + 1, 0, 0);
                } else if (p.minor > 0 || p.patch == null) {
                    upper = ceil(0, p.minor + 1, 0);
                } else {
                    upper = ceil(0, 0, p.patch + 1);
                }
                out.add(new Comparator(Op.LT, upper));
            }
            case ">=" -> out.add(new Comparator(Op.GE, p.isFull() ? p.exact() : p.floor()));
            case ">" -> {
                if (p.isAny()) {
                    out.add(new Comparator(Op.LT, SemanticVersion.of(0, 0, 0).withPreRelease(SemanticVersion.zeroPre())));
                } else {
                    out.add(p.isFull() ? new Comparator(Op.GT, p.exact()) : new Comparator(Op.GE, p.nextFloor()));
                }
            }
            case "<" -> out.add(new Comparator(Op.LT, p.isFull() ? p.exact()
                    : p.floor().withPreRelease(SemanticVersion.zeroPre())));
            case "<=" -> {
                if (p.isAny()) {
                    out.add(new Comparator(Op.GE, SemanticVersion.of(0, 0, 0)));
                } else {
                    out.add(p.isFull() ? new Comparator(Op.LE, p.exact()) : new Comparator(Op.LT, p.nextCeiling()));
                }
            }
            default -> throw bad(whole, "unknown operator '" + op + "'");
        }
    }

    private static SemanticVersion ceil(long major, long minor, long patch) {
        return SemanticVersion.of(major, minor, patch).withPreRelease(SemanticVersion.zeroPre());
    }

    private static VersionFormatException bad(String whole, String why) {
        return new VersionFormatException("'" + SemanticVersion.printable(whole) + "' is not a version range: " + why);
    }

    /** A possibly partial version: missing or wildcard components are null. */
    private record Partial(Long major, Long minor, Long patch, String pre, String build) {
        static Partial parse(String s, String whole) throws VersionFormatException {
            Matcher m = PARTIAL.matcher(s);
            if (!m.matches()) {
                throw bad(whole, "'" + SemanticVersion.printable(s) + "' is not a version");
            }
            try {
                Long ma = num(m.group(1));
                Long mi = ma == null ? null : num(m.group(2));
                Long pa = mi == null ? null : num(m.group(3));
                if (pa == null && m.group(4) != null) {
                    throw bad(whole, "a pre-release needs a full version");
                }
                return new Partial(ma, mi, pa, m.group(4), m.group(5));
            } catch (NumberFormatException e) {
                throw bad(whole, "number too large");
            }
        }

        private static Long num(String g) {
            return g == null || g.equals("x") || g.equals("X") || g.equals("*") ? null : Long.parseLong(g);
        }

        boolean isAny() {
            return major == null;
        }

        boolean isFull() {
            return patch != null;
        }

        SemanticVersion exact() throws VersionFormatException {
            return SemanticVersion.parse(major + "." + minor + "." + patch + (pre == null ? "" : "-" + pre)
                    + (build == null ? "" : "+" + build));
        }

        SemanticVersion floor() {
            return SemanticVersion.of(major == null ? 0 : major, minor == null ? 0 : minor, patch == null ? 0 : patch);
        }

        /** The first release after every version this partial covers, as a floor (for {@code >1.2}). */
        SemanticVersion nextFloor() {
            return minor == null ? SemanticVersion.of(major + 1, 0, 0) : SemanticVersion.of(major, minor + 1, 0);
        }

        /** The exclusive upper bound {@code X.Y.Z-0} after every version this partial covers. */
        SemanticVersion nextCeiling() {
            return minor == null ? ceil(major + 1, 0, 0) : ceil(major, minor + 1, 0);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VersionRange r && r.alternatives.equals(alternatives);
    }

    @Override
    public int hashCode() {
        return alternatives.hashCode();
    }

    /** @return the range as written (trimmed) */
    @Override
    public String toString() {
        return text.isEmpty() ? "*" : text;
    }
}
