package io.vboxmcp.template.rules.internal;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.Violation;
import org.yaml.snakeyaml.LoaderOptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The one bounded, strict read of a {@code template-definition.yaml}, for core's loader and for every template
 * source that peeks at a document (threats.md 5.1): at most {@link #MAX_BYTES} bytes of strict UTF-8, then the
 * SnakeYAML event pre-scan ({@link YamlSafetyScan}: no anchors, aliases, tags, merge keys, duplicate keys or second
 * documents, at most {@link #MAX_DEPTH} levels), then Jackson's streaming parser with read constraints and
 * {@code yes}/{@code no} kept as text. Immutable and thread-safe.
 */
public final class StrictYaml {
    /** Documents larger than this many bytes are refused before parsing (YML-04). */
    public static final int MAX_BYTES = 256 * 1024;
    /** Deepest nesting of mappings and lists accepted (YML-03). */
    public static final int MAX_DEPTH = YamlSafetyScan.MAX_DEPTH;

    private static final StrictYaml STANDARD = new StrictYaml();

    private final YAMLFactory factory;
    private final YamlSafetyScan scan;
    private final ObjectMapper mapper;

    private StrictYaml() {
        LoaderOptions lo = new LoaderOptions();
        lo.setCodePointLimit(MAX_BYTES);
        lo.setAllowDuplicateKeys(false);
        lo.setNestingDepthLimit(MAX_DEPTH);
        lo.setMaxAliasesForCollections(0);
        lo.setAllowRecursiveKeys(false);
        lo.setProcessComments(false);
        this.factory = YAMLFactory.builder()
                .loaderOptions(lo)
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_DEPTH + 1)
                        .maxStringLength(YamlSafetyScan.MAX_SCALAR_CHARS)
                        .maxNameLength(YamlSafetyScan.MAX_KEY_CHARS)
                        .maxNumberLength(32)
                        .maxDocumentLength(MAX_BYTES)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
                .build();
        this.scan = new YamlSafetyScan(lo);
        this.mapper = new ObjectMapper(factory);
    }

    /** @return the shared reader, never null */
    public static StrictYaml standard() {
        return STANDARD;
    }

    /** @return the Jackson factory configured with the limits above, for parsers over {@link #text} */
    public YAMLFactory factory() {
        return factory;
    }

    /**
     * Checks size, encoding and structure before any YAML parser builds anything.
     *
     * @param displayName how violations name the document, never null
     * @param yaml        the document's bytes (a UTF-8 byte-order mark is allowed), never null
     * @return the document's text without the byte-order mark, safe to hand to {@link #factory()}
     * @throws TemplateValidationException every structural problem found, in document order
     */
    public String text(String displayName, byte[] yaml) throws TemplateValidationException {
        if (yaml.length > MAX_BYTES) {
            throw single(displayName, "the file is larger than " + MAX_BYTES + " bytes", null);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(yaml))
                    .toString();
        } catch (CharacterCodingException e) {
            throw single(displayName, "the file is not valid UTF-8 text", e);
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<Violation> problems = scan.scan(displayName, text);
        if (!problems.isEmpty()) {
            throw invalid(problems);
        }
        return text;
    }

    /**
     * The strict read for callers that need a few fields and no schema (a source reading a tag's name and version).
     *
     * @return the document's tree, never null
     * @throws TemplateValidationException as {@link #text}, or if Jackson cannot read the document
     */
    public JsonNode readTree(String displayName, byte[] yaml) throws TemplateValidationException {
        String text = text(displayName, yaml);
        try {
            JsonNode root = mapper.readTree(text);
            return root == null ? mapper.missingNode() : root;
        } catch (IOException e) {
            throw single(displayName, "not readable YAML: " + Printable.of(firstLine(e.getMessage()), 200), e);
        }
    }

    /**
     * @return the problems as one exception: duplicates dropped, pointers escaped (they quote keys from the
     *         document, so a bidi key cannot reorder the report, YML-13), sorted by line and column
     */
    public static TemplateValidationException invalid(List<Violation> problems) {
        List<Violation> sorted = new ArrayList<>(new LinkedHashSet<>(problems.stream()
                .map(v -> new Violation(v.file(), v.line(), v.column(), Printable.of(v.pointer(), 1024), v.message()))
                .toList()));
        sorted.sort(Comparator.comparingInt(Violation::line).thenComparingInt(Violation::column));
        return new TemplateValidationException(sorted);
    }

    /** @return one problem about the whole document */
    public static TemplateValidationException single(String file, String message, Throwable cause) {
        return new TemplateValidationException(List.of(new Violation(file, 0, 0, "", message)), cause);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
