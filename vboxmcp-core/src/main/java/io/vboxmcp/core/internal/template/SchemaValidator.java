package io.vboxmcp.core.internal.template;

import io.vboxmcp.template.rules.internal.Pointers;
import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.Violation;
import org.everit.json.schema.ArraySchema;
import org.everit.json.schema.BooleanSchema;
import org.everit.json.schema.NumberSchema;
import org.everit.json.schema.ObjectSchema;
import org.everit.json.schema.Schema;
import org.everit.json.schema.StringSchema;
import org.everit.json.schema.ValidationException;
import org.everit.json.schema.loader.SchemaLoader;
import org.everit.json.schema.regexp.JavaUtilRegexpFactory;
import org.everit.json.schema.regexp.Regexp;
import org.json.JSONArray;
import org.json.JSONObject;
import org.json.JSONTokener;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Validates a {@link LocatedTree} against the shipped draft-07 schema with everit-json-schema and turns every failure
 * into a {@link Violation} that points at the offending value (or key) in the YAML source, with a message written for
 * template authors.
 */
final class SchemaValidator {
    static final String RESOURCE = "/io/vboxmcp/core/template-definition.schema.json";
    private static final Pattern REQUIRED = Pattern.compile("required key \\[(.*)\\] not found", Pattern.DOTALL);
    private static final Pattern EXPECTED_TYPE = Pattern.compile("expected type: (\\w+)");
    private static final Pattern EXTRANEOUS = Pattern.compile("extraneous key \\[(.*)\\] is not permitted", Pattern.DOTALL);

    /** What a field must look like, by pointer shape, for violations whose raw message would only quote a regex. */
    private static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry("/name", "must be a template name: lower-case letters, digits and '-', starting with a letter "
                    + "or digit, 1 to 63 characters"),
            Map.entry("/version", "must be a strict semantic version such as \"1.0.0\" or \"2.1.0-rc.1\""),
            Map.entry("/base_image", "must be an image reference such as \"ubuntu:22.04\" (letters, digits and ._/:@+-, "
                    + "at most 255 characters)"),
            Map.entry("/packages/*", "package group names are lower-case letters, digits, '_' and '-', starting with "
                    + "a letter (system, python, pip, npm, ...)"),
            Map.entry("/packages/*/*", "must be a package name, optionally with a version specifier (letters, digits "
                    + "and ._+:=<>!~^*|,@/[]-, starting with a letter or digit, or '@' for a scoped npm package)"),
            Map.entry("/scripts/*/name", "must be 1 to 200 characters without control characters"),
            Map.entry("/scripts/*/working_dir", "must be an absolute guest path (starting with '/') without control "
                    + "characters"),
            Map.entry("/scripts/*/run_as", "must be a user name: lower-case letters, digits, '_' and '-', starting "
                    + "with a letter or '_', at most 32 characters"),
            Map.entry("/scripts/*/timeout", "must be a number of seconds from 1 to 86400 or a duration such as "
                    + "\"30s\", \"10m\" or \"1h30m\""),
            Map.entry("/environment/*", "environment variable names are letters, digits and '_', not starting with "
                    + "a digit, at most 128 characters"),
            Map.entry("/shared_folders/*/name", "must be a share name: letters, digits, '_' and '-', starting with a "
                    + "letter or digit, at most 63 characters"),
            Map.entry("/shared_folders/*/host_path", "must be a host path without control characters"),
            Map.entry("/shared_folders/*/guest_path", "must be an absolute guest path (starting with '/') without "
                    + "control characters"),
            Map.entry("/metadata/tags/*", "must be a tag: letters, digits and ._+-, starting with a letter or digit, "
                    + "at most 64 characters"));

    private final Schema schema;

    private SchemaValidator(Schema schema) {
        this.schema = schema;
    }

    static SchemaValidator fromResource() {
        try (InputStream in = SchemaValidator.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("schema resource " + RESOURCE + " is missing from the classpath");
            }
            JSONObject json = new JSONObject(new JSONTokener(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            Schema s = SchemaLoader.builder()
                    .draftV7Support()
                    .useDefaults(false)
                    .regexpFactory(SchemaValidator::endAnchoredJavaRegexp)
                    .schemaJson(json)
                    .build()
                    .load()
                    .build();
            return new SchemaValidator(s);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema resource " + RESOURCE, e);
        }
    }

    private static final JavaUtilRegexpFactory JAVA_REGEXP = new JavaUtilRegexpFactory();

    /**
     * JSON Schema patterns are ECMA 262, where {@code $} (without the m flag) matches only at the end of the text;
     * in java.util.regex it also matches before a final line break, which would let {@code "root\n"} pass
     * {@code ^[a-z_]+$}. Every pattern in our schema is anchored, none uses {@code $} elsewhere, and none nests
     * quantifiers (values are at most 64 KiB), so java.util.regex with {@code \z} is exact and fast.
     */
    private static Regexp endAnchoredJavaRegexp(String pattern) {
        String p = pattern.endsWith("$") && !pattern.endsWith("\\$") ? pattern.substring(0, pattern.length() - 1) + "\\z"
                : pattern;
        return JAVA_REGEXP.createHandler(p);
    }

    /** Adds one violation per schema failure to {@code out}. */
    void validate(String file, LocatedTree tree, List<Violation> out) {
        try {
            schema.validate(toJson(tree.root));
        } catch (ValidationException e) {
            List<ValidationException> leaves = new ArrayList<>();
            flatten(e, leaves);
            for (ValidationException leaf : leaves) {
                Violation v = describe(file, tree, leaf);
                if (v != null) {
                    out.add(v);
                }
            }
        }
    }

    private static void flatten(ValidationException e, List<ValidationException> leaves) {
        String k = e.getKeyword();
        if (e.getCausingExceptions().isEmpty() || "anyOf".equals(k) || "oneOf".equals(k) || "allOf".equals(k)) {
            leaves.add(e);
        } else {
            for (ValidationException c : e.getCausingExceptions()) {
                flatten(c, leaves);
            }
        }
    }

    private static Violation describe(String file, LocatedTree tree, ValidationException e) {
        String pointer = e.getPointerToViolation();
        pointer = pointer == null || pointer.equals("#") ? "" : pointer.startsWith("#") ? pointer.substring(1) : pointer;
        String keyword = e.getKeyword() == null ? "" : e.getKeyword();
        String shape = Pointers.shape(pointer);
        Schema violated = e.getViolatedSchema();
        Object value = tree.at(pointer);
        switch (keyword) {
            case "uniqueItems":
                return null; // reported per duplicate item, at the item, by SemanticChecks
            case "required": {
                Matcher m = REQUIRED.matcher(e.getErrorMessage());
                String field = m.matches() ? m.group(1) : "?";
                return at(file, tree.valueAt(pointer), pointer,
                        "missing required field '" + Printable.of(field) + "'");
            }
            case "additionalProperties": {
                Matcher m = EXTRANEOUS.matcher(e.getErrorMessage());
                if (!m.matches()) {
                    break;
                }
                String key = m.group(1);
                String child = Pointers.child(pointer, key);
                String known = violated instanceof ObjectSchema os ? suggest(key, os) : null;
                return at(file, tree.keyAt(child), child, "unknown field " + Printable.quoted(key)
                        + (known == null ? "" : " (did you mean '" + known + "'?)")
                        + "; only the documented fields and extension fields starting with 'x-' are allowed");
            }
            case "type":
                return at(file, tree.valueAt(pointer), pointer, typeMessage(e.getErrorMessage(), violated, value));
            case "minimum":
            case "maximum":
                if (violated instanceof NumberSchema ns && ns.getMinimum() != null && ns.getMaximum() != null) {
                    return at(file, tree.valueAt(pointer), pointer, "must be between " + ns.getMinimum() + " and "
                            + ns.getMaximum() + " (found " + value + ")");
                }
                break;
            case "minLength":
                return at(file, tree.valueAt(pointer), pointer, "must not be empty");
            case "maxLength":
                if (violated instanceof StringSchema ss) {
                    return at(file, tree.valueAt(pointer), pointer, "must be at most " + ss.getMaxLength()
                            + " characters long");
                }
                break;
            case "maxItems":
                if (violated instanceof ArraySchema as) {
                    return at(file, tree.valueAt(pointer), pointer, "must have at most " + as.getMaxItems() + " entries");
                }
                break;
            case "pattern":
            case "anyOf":
            case "oneOf": {
                boolean keyProblem = shape.equals("/environment/*") || shape.equals("/packages/*");
                String hint = HINTS.get(shape);
                if (hint != null) {
                    if (keyProblem) {
                        return at(file, tree.keyAt(pointer), pointer, "invalid name "
                                + Printable.quoted(Pointers.last(pointer)) + ": " + hint);
                    }
                    return at(file, tree.valueAt(pointer), pointer, hint + " (found " + found(value) + ")");
                }
                break;
            }
            default:
                break;
        }
        return at(file, tree.valueAt(pointer), pointer, Printable.of(e.getErrorMessage(), 300));
    }

    private static String typeMessage(String everitMessage, Schema expected, Object value) {
        // everit names the expected type in its message ("expected type: String, found: Integer"); the violated
        // schema can be the enclosing object's when the failure comes from additionalProperties
        Matcher m = EXPECTED_TYPE.matcher(everitMessage);
        String want;
        if (m.lookingAt()) {
            want = switch (m.group(1)) {
                case "String" -> "a string";
                case "Integer" -> "an integer";
                case "Number" -> "a number";
                case "Boolean" -> "true or false";
                case "JSONArray" -> "a list";
                case "JSONObject" -> "a mapping";
                default -> "of type " + m.group(1);
            };
            if (m.group(1).equals("String")) {
                expected = StringSchema.builder().build();
            } else if (m.group(1).equals("Boolean")) {
                expected = BooleanSchema.builder().build();
            }
        } else if (expected instanceof StringSchema) {
            want = "a string";
        } else if (expected instanceof NumberSchema ns) {
            want = ns.requiresInteger() ? "an integer" : "a number";
        } else if (expected instanceof BooleanSchema) {
            want = "true or false";
        } else if (expected instanceof ArraySchema) {
            want = "a list";
        } else if (expected instanceof ObjectSchema) {
            want = "a mapping";
        } else {
            want = "of another type";
        }
        String msg = "must be " + want + ", not " + found(value);
        if (expected instanceof StringSchema && (value instanceof Number || value instanceof Boolean)) {
            msg += "; quote it (\"" + value + "\") if you mean the text";
        } else if (expected instanceof BooleanSchema && value instanceof String) {
            msg += "; YAML words like yes/no/on/off are not booleans here";
        }
        return msg;
    }

    static String found(Object value) {
        if (value == null) {
            return "an empty value (null)";
        }
        if (value instanceof String s) {
            return "the text " + Printable.quoted(s);
        }
        if (value instanceof Integer || value instanceof Long || value instanceof BigInteger) {
            return "the integer " + value;
        }
        if (value instanceof Number) {
            return "the number " + value;
        }
        if (value instanceof Boolean) {
            return "the boolean " + value;
        }
        if (value instanceof Map) {
            return "a mapping";
        }
        if (value instanceof List) {
            return "a list";
        }
        return "a " + value.getClass().getSimpleName();
    }

    private static String suggest(String key, ObjectSchema schema) {
        String best = null;
        int bestDistance = 3;
        for (String known : schema.getPropertySchemas().keySet()) {
            int d = distance(key, known);
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        return best;
    }

    /** Optimal string alignment distance (Levenshtein plus transpositions), for "did you mean". */
    private static int distance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 2 || a.length() > 64) {
            return Integer.MAX_VALUE;
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static Violation at(String file, Loc loc, String pointer, String message) {
        return new Violation(file, loc.line(), loc.column(), pointer, message);
    }

    @SuppressWarnings("unchecked")
    private static Object toJson(Object v) {
        if (v == null) {
            return JSONObject.NULL;
        }
        if (v instanceof Map<?, ?> m) {
            JSONObject o = new JSONObject();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                o.put(e.getKey(), toJson(e.getValue()));
            }
            return o;
        }
        if (v instanceof List<?> l) {
            JSONArray a = new JSONArray();
            for (Object item : l) {
                a.put(toJson(item));
            }
            return a;
        }
        if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
            return BigDecimal.ZERO; // unreachable: Jackson refuses .nan/.inf; keeps org.json from throwing
        }
        return v;
    }
}
