package io.vboxmcp.git.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.Violation;
import org.yaml.snakeyaml.LoaderOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A light read of what a Git source needs from {@code template-definition.yaml}: name, version, description and
 * {@code metadata.tags}. Full validation is core's job; this only refuses documents whose identity cannot be read.
 */
record TemplateYaml(String name, SemanticVersion version, String description, List<String> tags, int versionLine) {
    static final String FILE_NAME = "template-definition.yaml";
    static final int MAX_BYTES = 1 << 20;

    private static final ObjectMapper MAPPER = mapper();

    private static ObjectMapper mapper() {
        LoaderOptions lo = new LoaderOptions();
        lo.setAllowDuplicateKeys(false);
        lo.setMaxAliasesForCollections(20);
        lo.setCodePointLimit(MAX_BYTES);
        lo.setNestingDepthLimit(50);
        YAMLFactory f = YAMLFactory.builder().loaderOptions(lo)
                .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(100).maxStringLength(MAX_BYTES)
                        .maxNestingDepth(50).build())
                .build();
        f.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return new ObjectMapper(f);
    }

    /**
     * @param bytes the document
     * @param file  how to name it in messages (path and tag)
     */
    static TemplateYaml read(byte[] bytes, String file) throws TemplateValidationException {
        if (bytes.length > MAX_BYTES) {
            throw invalid(file, 0, "", "the document is larger than " + MAX_BYTES + " bytes");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new TemplateValidationException(List.of(new Violation(file, 0, 0, "",
                    "not readable YAML: " + firstLine(e.getMessage()))), e);
        }
        if (root == null || !root.isObject()) {
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

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
