package io.vboxmcp.core.internal.template;

import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.Violation;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.rules.internal.PathRules;
import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.template.rules.internal.StrictYaml;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Loads {@code template-definition.yaml} documents: a bounded, strict YAML read (SnakeYAML event pre-scan, then
 * Jackson's streaming parser with read constraints), JSON Schema validation against the shipped draft-07 schema,
 * semantic checks, and mapping to {@link TemplateDefinition}. Every problem found is reported at once, each with the
 * line and column of the offending value.
 *
 * <p>Immutable and thread-safe; the compiled schema and the parser factory are shared by all calls.
 */
public final class TemplateLoader {
    /** The file name of a template definition inside a template folder. */
    public static final String FILE_NAME = PathRules.DEFINITION_FILE;
    /** Documents larger than this many bytes are refused before parsing (YML-04). */
    public static final int MAX_BYTES = StrictYaml.MAX_BYTES;
    /** Deepest nesting of mappings and lists accepted (YML-03). */
    public static final int MAX_DEPTH = StrictYaml.MAX_DEPTH;

    private static final class Holder {
        static final TemplateLoader STANDARD = new TemplateLoader();
    }

    private final StrictYaml yaml;
    private final SchemaValidator schema;

    private TemplateLoader() {
        this.yaml = StrictYaml.standard();
        this.schema = SchemaValidator.fromResource();
    }

    /** @return the shared loader with the shipped schema and the default limits, never null */
    public static TemplateLoader standard() {
        return Holder.STANDARD;
    }

    /**
     * Loads a template definition from disk.
     *
     * @param file a {@code template-definition.yaml} file, or a folder containing one; never null
     * @return the validated definition, never null
     * @throws TemplateValidationException if the file is missing, unreadable, too large, not strict YAML, or does not
     *                                     satisfy the schema; {@link TemplateValidationException#violations()} lists
     *                                     every problem with the path as given
     * @throws VboxmcpException            never of another type today; declared so sources may add I/O errors later
     */
    public TemplateDefinition load(Path file) throws VboxmcpException {
        Objects.requireNonNull(file, "file");
        Path target = Files.isDirectory(file) ? file.resolve(FILE_NAME) : file;
        String display = target.toString();
        // never through a link or into a FIFO/device: a linked definition could quote any file of the host in
        // the violations below (the same rule install applies to every template file)
        String kind = RegularFiles.kind(target);
        if ("absent".equals(kind)) {
            throw single(display, Files.isDirectory(file)
                    ? "the folder has no " + FILE_NAME : "the file does not exist", null);
        }
        if (kind != null) {
            throw single(display, "not a regular file (it is " + kind + "); a template definition must be a regular file inside the "
                    + "template folder (nothing was read)", null);
        }
        byte[] bytes;
        try (InputStream in = RegularFiles.open(target)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw single(display, "cannot read the file: " + Printable.of(String.valueOf(e.getMessage()), 200), e);
        }
        return parse(display, bytes);
    }

    /**
     * Parses and validates a template definition held in memory.
     *
     * @param displayName how violations name the document (usually its path), never null
     * @param yaml        the document's bytes, UTF-8 (a byte-order mark is allowed), never null
     * @return the validated definition, never null
     * @throws TemplateValidationException listing every problem found, in document order
     */
    public TemplateDefinition parse(String displayName, byte[] yaml) throws TemplateValidationException {
        Objects.requireNonNull(displayName, "displayName");
        Objects.requireNonNull(yaml, "yaml");
        String text = this.yaml.text(displayName, yaml);
        List<Violation> problems = new ArrayList<>();
        LocatedTree tree = LocatedTree.read(this.yaml.factory(), displayName, text, problems);
        if (tree == null) {
            throw invalid(problems);
        }
        schema.validate(displayName, tree, problems);
        Set<String> reported = new HashSet<>();
        for (Violation v : problems) {
            reported.add(v.pointer());
        }
        SemanticChecks.check(displayName, tree, reported, problems);
        if (!problems.isEmpty()) {
            throw invalid(problems);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = (Map<String, Object>) tree.root;
        try {
            return DefinitionMapper.map(doc);
        } catch (VersionFormatException | RuntimeException e) {
            // validation above admits only documents the mapper understands; this is a bug, still reported typed
            throw new TemplateValidationException(List.of(new Violation(displayName, 0, 0, "",
                    "internal error while reading a validated template: " + Printable.of(String.valueOf(e.getMessage())))), e);
        }
    }

    private static TemplateValidationException invalid(List<Violation> problems) {
        return StrictYaml.invalid(problems);
    }

    private static TemplateValidationException single(String file, String message, Throwable cause) {
        return StrictYaml.single(file, message, cause);
    }
}
