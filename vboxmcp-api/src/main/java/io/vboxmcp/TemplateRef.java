package io.vboxmcp;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A reference to a template by name and version range, written {@code python-dev@^1.0}; a bare name means
 * the highest release.
 *
 * @param name  a template name ({@link #NAME_PATTERN}), never null
 * @param range never null
 *
 * @since 0.2.0
 */
public record TemplateRef(String name, VersionRange range) {
    /** Template and VM names: lower-case letters, digits and hyphens, starting with a letter or digit, 1 to 63 long. */
    public static final String NAME_PATTERN = "[a-z0-9][a-z0-9-]{0,62}";
    private static final Pattern NAME = Pattern.compile(NAME_PATTERN);

    /**
     * Checks the name and the range.
     *
     * @param name  a template name ({@link #NAME_PATTERN}), never null
     * @param range never null
     */
    public TemplateRef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(range, "range");
        if (!isValidName(name)) {
            throw new IllegalArgumentException("invalid template name '" + SemanticVersion.printable(name) + "'");
        }
    }

    /**
     * @param text {@code name} or {@code name@range}, never null
     * @return the reference, never null
     * @throws VersionFormatException if the name or the range is malformed
     */
    public static TemplateRef parse(String text) throws VersionFormatException {
        Objects.requireNonNull(text, "text");
        int at = text.indexOf('@');
        return of(at < 0 ? text : text.substring(0, at), at < 0 ? "" : text.substring(at + 1));
    }

    /**
     * @param name    template name, never null
     * @param version a version or range; null or blank means any release
     * @return the reference, never null
     * @throws VersionFormatException if the name or the range is malformed
     */
    public static TemplateRef of(String name, String version) throws VersionFormatException {
        Objects.requireNonNull(name, "name");
        if (!isValidName(name)) {
            throw new VersionFormatException("'" + SemanticVersion.printable(name) + "' is not a template name: use "
                    + "lower-case letters, digits and '-', starting with a letter or digit, at most 63 characters");
        }
        return new TemplateRef(name, VersionRange.parse(version == null ? "" : version));
    }

    /**
     * @param name the text to check, may be null
     * @return whether {@code name} is a valid template or VM name
     */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    @Override
    public String toString() {
        return name + "@" + range;
    }
}
