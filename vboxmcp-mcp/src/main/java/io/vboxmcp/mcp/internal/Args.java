package io.vboxmcp.mcp.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A tool call's arguments, untrusted: unknown keys, wrong types, oversized strings and names outside
 * {@link TemplateRef#NAME_PATTERN} are {@link ErrorCode#INVALID_ARGUMENT} errors whose messages show values escaped
 * and shortened, so an agent's control characters never reach a log or a terminal as such.
 */
final class Args {
    private final String tool;
    private final Map<String, Object> values;

    private Args(String tool, Map<String, Object> values) {
        this.tool = tool;
        this.values = values;
    }

    /** @throws VboxmcpException naming the first unknown key */
    static Args of(String tool, Map<String, Object> arguments, Set<String> known) throws VboxmcpException {
        Map<String, Object> values = arguments == null ? Map.of() : arguments;
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw invalid(tool + ": unknown argument '" + shown(unknown.iterator().next()) + "' (known: "
                    + String.join(", ", new TreeSet<>(known)) + ")");
        }
        return new Args(tool, values);
    }

    /** @return a VM or template name, required */
    String name(String key) throws VboxmcpException {
        String v = string(key, 64, true);
        if (!TemplateRef.isValidName(v)) {
            throw invalid(tool + ": " + key + " '" + shown(v) + "' must be lower-case letters, digits and '-' ("
                    + TemplateRef.NAME_PATTERN + ")");
        }
        return v;
    }

    /** @return the string, or null if absent and not required */
    String string(String key, int maxLength, boolean required) throws VboxmcpException {
        Object v = values.get(key);
        if (v == null) {
            if (required) {
                throw invalid(tool + ": argument '" + key + "' is required");
            }
            return null;
        }
        if (!(v instanceof String s)) {
            throw invalid(tool + ": argument '" + key + "' must be a string");
        }
        if (s.length() > maxLength) {
            throw invalid(tool + ": argument '" + key + "' is longer than " + maxLength + " characters ("
                    + s.length() + ")");
        }
        if (s.indexOf('\0') >= 0) {
            throw invalid(tool + ": argument '" + key + "' contains a NUL character");
        }
        return s;
    }

    /** @return the whole number in [min, max], or null if absent */
    Integer integer(String key, int min, int max) throws VboxmcpException {
        Object v = values.get(key);
        if (v == null) {
            return null;
        }
        boolean whole = v instanceof Integer || v instanceof Long || v instanceof Short
                || (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue()));
        if (!whole || ((Number) v).doubleValue() < min || ((Number) v).doubleValue() > max) {
            throw invalid(tool + ": argument '" + key + "' must be a whole number from " + min + " to " + max
                    + ", got " + shown(String.valueOf(v)));
        }
        return ((Number) v).intValue();
    }

    /** @return one of {@code allowed}, or {@code def} if absent */
    String choice(String key, Set<String> allowed, String def) throws VboxmcpException {
        String v = string(key, 32, false);
        if (v == null) {
            return def;
        }
        if (!allowed.contains(v)) {
            throw invalid(tool + ": argument '" + key + "' must be one of " + new TreeSet<>(allowed));
        }
        return v;
    }

    static VboxmcpException invalid(String message) {
        return new VboxmcpException(ErrorCode.INVALID_ARGUMENT, message);
    }

    /** An agent's value as it may appear in a message: control and format characters escaped, at most 80 chars. */
    static String shown(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(80).forEach(c -> {
            int type = Character.getType(c);
            if (Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return s.codePointCount(0, s.length()) > 80 ? b + "..." : b.toString();
    }
}
