package io.vboxmcp.template.rules.internal;

import io.vboxmcp.ArchiveException;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which relative paths may appear in a template (folder, manifest or package). One rule set for all three, so a
 * template that can be listed can be packed and extracted on every OS (ARC-01, 02, 11, 12, 17).
 */
public final class PathRules {
    /** The file name of a template definition inside a template folder. */
    public static final String DEFINITION_FILE = "template-definition.yaml";
    public static final int MAX_PATH_BYTES = 1024;
    public static final int MAX_COMPONENT_BYTES = 255;
    public static final int MAX_DEPTH = 32;

    private static final Pattern WINDOWS_RESERVED =
            Pattern.compile("(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\\$|conout\\$)(\\..*)?", Pattern.CASE_INSENSITIVE);
    private static final Set<Character> FORBIDDEN = Set.of('\\', ':', '*', '?', '"', '<', '>', '|');

    private PathRules() {
    }

    /**
     * @param path relative path with '/' separators, no trailing slash
     * @throws ArchiveException naming the offending path if it breaks a rule
     */
    public static void check(String path) throws ArchiveException {
        String why = problem(path);
        if (why != null) {
            throw new ArchiveException("unsafe path '" + Printable.path(path) + "': " + why);
        }
    }

    public static String problem(String path) {
        if (path.isEmpty()) return "empty name";
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) return "longer than " + MAX_PATH_BYTES + " bytes";
        if (path.startsWith("/")) return "absolute path";
        if (!Normalizer.isNormalized(path, Normalizer.Form.NFC)) return "not in Unicode NFC form";
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) return "control character";
            if (FORBIDDEN.contains(c)) return "character '" + c + "' is not portable";
        }
        String[] parts = path.split("/", -1);
        if (parts.length > MAX_DEPTH) return "deeper than " + MAX_DEPTH + " levels";
        for (String p : parts) {
            if (p.isEmpty()) return "empty path component";
            if (p.equals(".") || p.equals("..")) return "'" + p + "' component";
            if (p.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) return "component longer than " + MAX_COMPONENT_BYTES + " bytes";
            if (p.endsWith(".") || p.endsWith(" ")) return "component ends with a dot or space";
            String lower = p.toLowerCase(Locale.ROOT);
            if (lower.equals(".git") || lower.equals("git~1")) return ".git is not allowed anywhere in a template";
            if (WINDOWS_RESERVED.matcher(p).matches()) return "reserved Windows device name";
        }
        return null;
    }

    /** The key under which two names collide on case-insensitive or normalising file systems (ARC-11). */
    public static String collisionKey(String path) {
        return Normalizer.normalize(path, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
    }


    /** Byte order of UTF-8, which is what {@code LC_ALL=C sort} gives. */
    public static int compareUtf8(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
