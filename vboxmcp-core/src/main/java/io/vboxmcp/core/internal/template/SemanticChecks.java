package io.vboxmcp.core.internal.template;

import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.Violation;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rules JSON Schema cannot say, checked on the parts of the tree that have the right types: unique script names,
 * share names, guest paths and ports (reported at the second occurrence), timeouts within bounds, no {@code ..} in
 * guest paths, and the name and version re-checked by the API's own grammar.
 */
final class SemanticChecks {
    private SemanticChecks() {
    }

    static void check(String file, LocatedTree tree, Set<String> reported, List<Violation> out) {
        if (!(tree.root instanceof Map<?, ?> root)) {
            return;
        }
        if (root.get("name") instanceof String name && !reported.contains("/name") && !TemplateRef.isValidName(name)) {
            add(file, tree, "/name", "must be a template name: lower-case letters, digits and '-', starting with a "
                    + "letter or digit, 1 to 63 characters (found " + Printable.quoted(name) + ")", out);
        }
        if (root.get("version") instanceof String v && !reported.contains("/version") && !SemanticVersion.isValid(v)) {
            add(file, tree, "/version", "must be a strict semantic version such as \"1.0.0\", each number at most "
                    + Long.MAX_VALUE + " (found "
                    + Printable.quoted(v) + ")", out);
        }
        if (root.get("ports") instanceof List<?> ports) {
            Map<Object, Integer> seen = new HashMap<>();
            for (int i = 0; i < ports.size(); i++) {
                Object p = ports.get(i);
                if (p instanceof Number n) {
                    String ptr = "/ports/" + i;
                    Integer first = seen.putIfAbsent(n.longValue(), i);
                    if (first != null) {
                        add(file, tree, ptr, "port " + n + " is listed more than once (first on line "
                                + tree.valueAt("/ports/" + first).line() + ")", out);
                    }
                }
            }
        }
        if (root.get("scripts") instanceof List<?> scripts) {
            unique(file, tree, "/scripts", scripts, "name", "script name", out);
            for (int i = 0; i < scripts.size(); i++) {
                if (!(scripts.get(i) instanceof Map<?, ?> s)) {
                    continue;
                }
                String base = "/scripts/" + i;
                if (s.get("timeout") instanceof String t && !reported.contains(base + "/timeout")) {
                    Duration d = Durations.parse(t);
                    if (d != null && (d.isZero() || d.compareTo(Durations.MAX) > 0)) {
                        add(file, tree, base + "/timeout", "must be more than 0 and at most 24h (found "
                                + Printable.quoted(t) + ")", out);
                    }
                }
                guestPath(file, tree, base + "/working_dir", s.get("working_dir"), reported, out);
            }
        }
        if (root.get("shared_folders") instanceof List<?> shares) {
            unique(file, tree, "/shared_folders", shares, "name", "share name", out);
            unique(file, tree, "/shared_folders", shares, "guest_path", "guest path", out);
            for (int i = 0; i < shares.size(); i++) {
                if (shares.get(i) instanceof Map<?, ?> s) {
                    String ptr = "/shared_folders/" + i + "/guest_path";
                    guestPath(file, tree, ptr, s.get("guest_path"), reported, out);
                }
            }
        }
    }

    private static void guestPath(String file, LocatedTree tree, String pointer, Object value, Set<String> reported,
                                  List<Violation> out) {
        if (value instanceof String path && !reported.contains(pointer)) {
            for (String segment : path.split("/", -1)) {
                if (segment.equals("..")) {
                    add(file, tree, pointer, "must not contain '..' segments (found " + Printable.quoted(path) + ")", out);
                    return;
                }
            }
        }
    }

    private static void unique(String file, LocatedTree tree, String listPointer, List<?> items, String field,
                               String what, List<Violation> out) {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i) instanceof Map<?, ?> m && m.get(field) instanceof String value) {
                Integer first = seen.putIfAbsent(value, i);
                if (first != null) {
                    String ptr = listPointer + "/" + i + "/" + field;
                    add(file, tree, ptr, what + " " + Printable.quoted(value) + " is used more than once (first on line "
                            + tree.valueAt(listPointer + "/" + first + "/" + field).line() + ")", out);
                }
            }
        }
    }

    private static void add(String file, LocatedTree tree, String pointer, String message, List<Violation> out) {
        Loc l = tree.valueAt(pointer);
        out.add(new Violation(file, l.line(), l.column(), pointer, message));
    }
}
