package io.vboxmcp.core.internal.template;

import io.vboxmcp.TemplateRef;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.template.TemplateDefinition;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A validated template document before composition: the plain tree (what {@code core.internal.compose} merges),
 * its definition, and the templates it extends and requires.
 *
 * @param file       how violations name the document
 * @param tree       the document as plain values, unmodifiable at the top level; never null
 * @param definition the document on its own (its base image may be null, see {@link TemplateDefinition})
 * @param bases      {@code extends}, in document order
 * @param requires   {@code requires}, in document order
 * @param feature    whether the document is a feature ({@code kind: feature})
 */
public record TemplateDocument(String file, Map<String, Object> tree, TemplateDefinition definition,
                               List<TemplateRef> bases, List<TemplateRef> requires, boolean feature) {
    public TemplateDocument {
        tree = Collections.unmodifiableMap(tree);
        bases = List.copyOf(bases);
        requires = List.copyOf(requires);
    }

    /** @return whether the document names bases or features, so it must be composed before use */
    public boolean composed() {
        return !bases.isEmpty() || !requires.isEmpty();
    }

    static TemplateDocument of(String file, Map<String, Object> tree, TemplateDefinition definition) {
        try {
            return new TemplateDocument(file, tree, definition, refs(tree.get("extends")), refs(tree.get("requires")),
                    "feature".equals(tree.get("kind")));
        } catch (VersionFormatException e) {
            // SemanticChecks parsed every reference already; reaching this is a bug, still reported as invalid
            throw new IllegalStateException("a validated reference did not parse: " + e.getMessage(), e);
        }
    }

    private static List<TemplateRef> refs(Object value) throws VersionFormatException {
        List<TemplateRef> out = new ArrayList<>();
        if (value instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof String s) {
                    out.add(TemplateRef.parse(s));
                } else if (o instanceof Map<?, ?> m) {
                    out.add(TemplateRef.of((String) m.get("template"), (String) m.get("version")));
                }
            }
        }
        return out;
    }
}
