package io.vboxmcp.git.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.Violation;
import io.vboxmcp.template.rules.internal.PathRules;
import io.vboxmcp.template.rules.internal.StrictYaml;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a Git source needs from {@code template-definition.yaml}: name, version, description and
 * {@code metadata.tags}. The document is read with core's own bounded, strict reader ({@link StrictYaml}, from
 * {@code vboxmcp-template-rules}), so a tag never admits a document {@code create} would refuse as YAML; full
 * validation (schema, semantics) stays core's job, this only refuses documents whose identity cannot be read.
 */
record TemplateYaml(String name, SemanticVersion version, String description, List<String> tags, int versionLine) {
    static final String FILE_NAME = PathRules.DEFINITION_FILE;
    static final int MAX_BYTES = StrictYaml.MAX_BYTES;

    /**
     * @param bytes the document
     * @param file  how to name it in messages (path and tag)
     */
    static TemplateYaml read(byte[] bytes, String file) throws TemplateValidationException {
        JsonNode root = StrictYaml.standard().readTree(file, bytes);
        if (!root.isObject()) {
            throw invalid(file, 1, "", "the document must be a mapping");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        List<Violation> problems = new ArrayList<>();
        JsonNode n = root.get("name");
        String name = n != null && n.isValueNode() ? n.asText() : null;
        if (name == null || !TemplateRef.isValidName(name)) {
            problems.add(new Violation(file, lineOf(text, "name"), 0, "/name",
                    "name must match " + TemplateRef.NAME_PATTERN));
        }
        JsonNode v = root.get("version");
        SemanticVersion version = null;
        int versionLine = lineOf(text, "version");
        if (v == null || !v.isValueNode() || !SemanticVersion.isValid(v.asText())) {
            problems.add(new Violation(file, versionLine, 0, "/version", "version must be a semantic version (MAJOR.MINOR.PATCH)"));
        } else {
            try {
                version = SemanticVersion.parse(v.asText());
            } catch (io.vboxmcp.VersionFormatException e) {
                problems.add(new Violation(file, versionLine, 0, "/version", e.getMessage()));
            }
        }
        if (!problems.isEmpty()) {
            throw new TemplateValidationException(problems);
        }
        JsonNode d = root.get("description");
        String description = d != null && d.isValueNode() ? d.asText() : null;
        List<String> tags = new ArrayList<>();
        JsonNode t = root.path("metadata").path("tags");
        if (t.isArray()) {
            for (JsonNode e : t) {
                if (e.isValueNode()) tags.add(e.asText());
            }
        }
        return new TemplateYaml(name, version, description, tags, versionLine);
    }

    private static int lineOf(String text, String key) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(key + ":") || lines[i].startsWith(key + " :") || lines[i].startsWith("\"" + key + "\":")) {
                return i + 1;
            }
        }
        return 0;
    }

    private static TemplateValidationException invalid(String file, int line, String pointer, String message) {
        return new TemplateValidationException(List.of(new Violation(file, line, 0, pointer, message)));
    }
}
