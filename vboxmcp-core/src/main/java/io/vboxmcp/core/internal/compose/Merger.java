package io.vboxmcp.core.internal.compose;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Merges the documents of a composition, in the order {@link Graph} gives (everything a template builds on before
 * it, the root last), and records where each field and entry came from. The rules (docs/templates.md#merge-rules):
 * <ul>
 *   <li>{@code description}, {@code author}, {@code base_image}, {@code x-*} fields: the later document wins;</li>
 *   <li>{@code metadata}: key by key, the later wins;</li>
 *   <li>{@code min_ram}, {@code min_disk}, {@code min_cores}: the maximum;</li>
 *   <li>{@code packages}: per group, a union in order (earlier first, no duplicates);</li>
 *   <li>{@code ports}: a union in order;</li>
 *   <li>{@code environment}: a map overlay, the later value wins (kept at its first position);</li>
 *   <li>{@code scripts}, {@code shared_folders}: concatenated earlier first; an entry with the name of an earlier
 *       one replaces it at the earlier position (the extending template wins);</li>
 *   <li>{@code name}, {@code version}: the root's only. A feature contributes only packages, scripts, environment,
 *       ports, shared folders and minimums.</li>
 * </ul>
 * Not thread-safe; one instance per merge.
 */
final class Merger {
    private static final Set<String> FEATURE_FIELDS = Set.of("packages", "scripts", "environment", "ports",
            "shared_folders", "min_ram", "min_disk", "min_cores");
    private static final Set<String> NOT_MERGED = Set.of("name", "version", "extends", "requires", "kind");

    private final Map<String, Object> merged = new LinkedHashMap<>();
    private final Map<String, String> from = new LinkedHashMap<>();

    /** @return the merged document (without extends, requires and kind) and its provenance */
    static Result merge(List<Component> order) {
        Merger m = new Merger();
        Component root = order.get(order.size() - 1);
        m.merged.put("name", root.document().tree().get("name"));
        m.merged.put("version", root.document().tree().get("version"));
        for (Component c : order) {
            m.add(c);
        }
        return new Result(m.merged, m.provenance(root));
    }

    /** @param provenance field label ({@code "min_ram: 4096"}) to {@code name@version} */
    record Result(Map<String, Object> tree, Map<String, String> provenance) { }

    @SuppressWarnings("unchecked")
    private void add(Component c) {
        String who = c.coordinates();
        for (Map.Entry<String, Object> e : c.document().tree().entrySet()) {
            String field = e.getKey();
            Object value = e.getValue();
            if (NOT_MERGED.contains(field) || value == null
                    || (c.role() == Component.Role.FEATURE && !FEATURE_FIELDS.contains(field))) {
                continue;
            }
            switch (field) {
                case "min_ram", "min_disk", "min_cores" -> {
                    long v = ((Number) value).longValue();
                    if (!(merged.get(field) instanceof Number old) || v >= old.longValue()) {
                        merged.put(field, value);
                        from.put(field, who);
                    }
                }
                case "packages" -> {
                    Map<String, Object> groups = (Map<String, Object>) merged.computeIfAbsent(field,
                            k -> new LinkedHashMap<>());
                    for (Map.Entry<String, Object> g : ((Map<String, Object>) value).entrySet()) {
                        List<Object> list = (List<Object>) groups.computeIfAbsent(g.getKey(), k -> new ArrayList<>());
                        for (Object pkg : (List<Object>) g.getValue()) {
                            if (!list.contains(pkg)) {
                                list.add(pkg);
                                from.put("packages." + g.getKey() + "/" + pkg, who);
                            }
                        }
                    }
                }
                case "ports" -> {
                    List<Object> list = (List<Object>) merged.computeIfAbsent(field, k -> new ArrayList<>());
                    for (Object p : (List<Object>) value) {
                        Set<Long> have = new LinkedHashSet<>();
                        list.forEach(x -> have.add(((Number) x).longValue()));
                        if (have.add(((Number) p).longValue())) {
                            list.add(p);
                            from.put("ports/" + p, who);
                        }
                    }
                }
                case "environment" -> {
                    Map<String, Object> env = (Map<String, Object>) merged.computeIfAbsent(field,
                            k -> new LinkedHashMap<>());
                    ((Map<String, Object>) value).forEach((k, v) -> {
                        env.put(k, v);
                        from.put("environment." + k, who);
                    });
                }
                case "scripts", "shared_folders" -> {
                    List<Object> list = (List<Object>) merged.computeIfAbsent(field, k -> new ArrayList<>());
                    for (Object item : (List<Object>) value) {
                        Object name = ((Map<String, Object>) item).get("name");
                        int at = indexOfName(list, name);
                        if (at >= 0) {
                            list.set(at, item);
                        } else {
                            list.add(item);
                        }
                        from.put(field + "/" + name, who);
                    }
                }
                case "metadata" -> {
                    Map<String, Object> meta = (Map<String, Object>) merged.computeIfAbsent(field,
                            k -> new LinkedHashMap<>());
                    ((Map<String, Object>) value).forEach((k, v) -> {
                        meta.put(k, v);
                        from.put("metadata." + k, who);
                    });
                }
                default -> {  // description, author, base_image, x-*
                    merged.put(field, value);
                    from.put(field, who);
                }
            }
        }
    }

    private static int indexOfName(List<Object> list, Object name) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof Map<?, ?> m && name != null && name.equals(m.get("name"))) {
                return i;
            }
        }
        return -1;
    }

    /** Labels as the plan prints them, in the merged document's order. */
    @SuppressWarnings("unchecked")
    private Map<String, String> provenance(Component root) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : merged.entrySet()) {
            String field = e.getKey();
            Object v = e.getValue();
            switch (field) {
                case "name", "version" -> out.put(field + ": " + v, root.coordinates());
                case "packages" -> ((Map<String, Object>) v).forEach((group, pkgs) -> ((List<Object>) pkgs)
                        .forEach(p -> out.put("packages." + group + ": " + p, from.get("packages." + group + "/" + p))));
                case "ports" -> ((List<Object>) v).forEach(p -> out.put("port: " + p, from.get("ports/" + p)));
                case "environment" -> ((Map<String, Object>) v).keySet()
                        .forEach(k -> out.put("environment." + k, from.get("environment." + k)));
                case "scripts", "shared_folders" -> ((List<Object>) v).forEach(item -> {
                    Object name = ((Map<String, Object>) item).get("name");
                    out.put((field.equals("scripts") ? "script: " : "shared_folder: ") + name,
                            from.get(field + "/" + name));
                });
                case "metadata" -> ((Map<String, Object>) v).keySet()
                        .forEach(k -> out.put("metadata." + k, from.get("metadata." + k)));
                case "description", "author" -> out.put(field, from.get(field));
                default -> out.put(field.startsWith("x-") ? field : field + ": " + v, from.get(field));
            }
        }
        return out;
    }
}
