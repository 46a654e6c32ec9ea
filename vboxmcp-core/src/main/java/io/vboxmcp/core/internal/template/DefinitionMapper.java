package io.vboxmcp.core.internal.template;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.template.Script;
import io.vboxmcp.template.SharedFolder;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Maps a tree that passed schema and semantic checks to the API records; types are trusted here. */
final class DefinitionMapper {
    private DefinitionMapper() {
    }

    static TemplateDefinition map(Map<String, Object> doc) throws VersionFormatException {
        Map<String, List<String>> packages = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : map(doc.get("packages")).entrySet()) {
            packages.put(e.getKey(), strings(e.getValue()));
        }
        List<Script> scripts = new ArrayList<>();
        for (Object o : list(doc.get("scripts"))) {
            Map<String, Object> s = map(o);
            scripts.add(new Script((String) s.get("name"), (String) s.get("command"), (String) s.get("working_dir"),
                    (String) s.get("run_as"), timeout(s.get("timeout"))));
        }
        Map<String, String> environment = new LinkedHashMap<>();
        map(doc.get("environment")).forEach((k, v) -> environment.put(k, (String) v));
        List<Integer> ports = new ArrayList<>();
        for (Object o : list(doc.get("ports"))) {
            ports.add(((Number) o).intValue());
        }
        List<SharedFolder> shares = new ArrayList<>();
        for (Object o : list(doc.get("shared_folders"))) {
            Map<String, Object> f = map(o);
            shares.add(new SharedFolder((String) f.get("name"), (String) f.get("host_path"),
                    (String) f.get("guest_path"), Boolean.TRUE.equals(f.get("read_only"))));
        }
        TemplateMetadata metadata = TemplateMetadata.EMPTY;
        if (doc.get("metadata") instanceof Map<?, ?>) {
            Map<String, Object> m = map(doc.get("metadata"));
            metadata = new TemplateMetadata(strings(m.get("tags")), (String) m.get("license"), (String) m.get("source"));
        }
        Map<String, Object> extensions = new LinkedHashMap<>();
        doc.forEach((k, v) -> {
            if (k.startsWith("x-")) {
                extensions.put(k, frozen(v));
            }
        });
        return new TemplateDefinition((String) doc.get("name"), SemanticVersion.parse((String) doc.get("version")),
                (String) doc.get("description"), (String) doc.get("author"), (String) doc.get("base_image"),
                integer(doc.get("min_ram")), integer(doc.get("min_disk")), integer(doc.get("min_cores")),
                packages, scripts, environment, ports, shares, metadata, extensions);
    }

    private static Duration timeout(Object o) {
        if (o instanceof Number n) {
            return Duration.ofSeconds(n.longValue());
        }
        return o instanceof String s ? Durations.parse(s) : null;
    }

    private static int integer(Object o) {
        return o instanceof Number n ? n.intValue() : 0;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    private static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        for (Object item : list(o)) {
            out.add((String) item);
        }
        return out;
    }

    /** A deep, unmodifiable copy of an extension value (nulls kept). */
    private static Object frozen(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> copy = new LinkedHashMap<>();
            m.forEach((k, x) -> copy.put((String) k, frozen(x)));
            return Collections.unmodifiableMap(copy);
        }
        if (v instanceof List<?> l) {
            List<Object> copy = new ArrayList<>(l.size());
            l.forEach(x -> copy.add(frozen(x)));
            return Collections.unmodifiableList(copy);
        }
        return v;
    }
}
