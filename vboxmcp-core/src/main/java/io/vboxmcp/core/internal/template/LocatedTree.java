package io.vboxmcp.core.internal.template;

import io.vboxmcp.template.rules.internal.Pointers;
import io.vboxmcp.template.rules.internal.Printable;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vboxmcp.Violation;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The document as plain Java values ({@code LinkedHashMap}, {@code ArrayList}, {@code String}, {@code Integer}/{@code
 * Long}/{@code BigInteger}, {@code Double}, {@code Boolean}, {@code null}) read with Jackson's streaming YAML parser,
 * plus where each value and each key stands in the source, by JSON pointer.
 */
final class LocatedTree {
    // YAML 1.1 would read 0755 as octal, 0x1F as hex and 1_000 as 1000: a silent reinterpretation (YML-09).
    private static final Pattern DECIMAL = Pattern.compile("-?(0|[1-9][0-9]*)");

    final Object root;
    private final Map<String, Loc> values;
    private final Map<String, Loc> keys;

    private LocatedTree(Object root, Map<String, Loc> values, Map<String, Loc> keys) {
        this.root = root;
        this.values = values;
        this.keys = keys;
    }

    /** @return where the value at {@code pointer} starts, or the nearest enclosing value's start */
    Loc valueAt(String pointer) {
        String p = pointer;
        while (true) {
            Loc l = values.get(p);
            if (l != null || p.isEmpty()) {
                return l == null ? new Loc(1, 1) : l;
            }
            p = Pointers.parent(p);
        }
    }

    /** @return where the key of the member at {@code pointer} stands, or its value's location */
    Loc keyAt(String pointer) {
        Loc l = keys.get(pointer);
        return l != null ? l : valueAt(pointer);
    }

    /** @return the value at {@code pointer}, null if absent (or null) */
    Object at(String pointer) {
        Object cur = root;
        if (pointer.isEmpty()) {
            return cur;
        }
        for (String token : pointer.substring(1).split("/", -1)) {
            if (cur instanceof Map<?, ?> m) {
                cur = m.get(Pointers.unescape(token));
            } else if (cur instanceof List<?> l) {
                int i;
                try {
                    i = Integer.parseInt(token);
                } catch (NumberFormatException e) {
                    return null;
                }
                if (i < 0 || i >= l.size()) {
                    return null;
                }
                cur = l.get(i);
            } else {
                return null;
            }
        }
        return cur;
    }

    /**
     * Reads the document. Problems are added to {@code out}; a problem that stops reading returns null.
     */
    static LocatedTree read(YAMLFactory factory, String file, String yaml, List<Violation> out) {
        Map<String, Loc> values = new HashMap<>();
        Map<String, Loc> keys = new HashMap<>();
        JsonParser p = null;
        try (JsonParser parser = factory.createParser(yaml)) {
            p = parser;
            JsonToken t = p.nextToken();
            if (t == null || t == JsonToken.VALUE_NULL) {
                out.add(new Violation(file, t == null ? 1 : loc(p).line(), t == null ? 1 : loc(p).column(), "",
                        "the document is empty (null): expected a mapping of template fields (name, version, base_image, ...)"));
                return null;
            }
            if (t != JsonToken.START_OBJECT) {
                Loc l = loc(p);
                out.add(new Violation(file, l.line(), l.column(), "",
                        "the document must be a mapping of template fields (name, version, base_image, ...), not "
                                + (t == JsonToken.START_ARRAY ? "a list" : "a single value")));
                return null;
            }
            Reader r = new Reader(p, file, values, keys, out);
            Object root = r.value(t, "");
            if (p.nextToken() != null) {
                Loc l = loc(p);
                out.add(new Violation(file, l.line(), l.column(), "", "unexpected content after the document"));
                return null;
            }
            return new LocatedTree(root, values, keys);
        } catch (StreamConstraintsException e) {
            out.add(at(file, e.getLocation() != null || p == null ? e.getLocation() : p.currentLocation(), "a value exceeds the size limits for template documents: "
                    + Printable.of(firstSentence(e.getOriginalMessage()), 200)));
            return null;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            out.add(at(file, e.getLocation(), "cannot read YAML: " + Printable.of(e.getOriginalMessage(), 200)));
            return null;
        } catch (IOException | RuntimeException e) {
            // SnakeYAML exceptions surface through Jackson as runtime exceptions; the pre-scan should have caught them.
            out.add(new Violation(file, 0, 0, "", "cannot read YAML: " + Printable.of(String.valueOf(e.getMessage()), 200)));
            return null;
        }
    }

    private static final class Reader {
        private final JsonParser p;
        private final String file;
        private final Map<String, Loc> values;
        private final Map<String, Loc> keys;
        private final List<Violation> out;

        Reader(JsonParser p, String file, Map<String, Loc> values, Map<String, Loc> keys, List<Violation> out) {
            this.p = p;
            this.file = file;
            this.values = values;
            this.keys = keys;
            this.out = out;
        }

        Object value(JsonToken t, String pointer) throws IOException {
            Loc here = loc(p);
            values.put(pointer, here);
            switch (t) {
                case START_OBJECT: {
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (JsonToken n = p.nextToken(); n != JsonToken.END_OBJECT; n = p.nextToken()) {
                        String name = p.currentName();
                        String child = Pointers.child(pointer, name);
                        keys.put(child, loc(p));
                        if (map.containsKey(name)) {
                            // the pre-scan refuses duplicates; this only guards against a divergence between parsers
                            out.add(new Violation(file, loc(p).line(), loc(p).column(), child, "duplicate key"));
                        }
                        map.put(name, value(p.nextToken(), child));
                    }
                    return map;
                }
                case START_ARRAY: {
                    List<Object> list = new ArrayList<>();
                    int i = 0;
                    for (JsonToken n = p.nextToken(); n != JsonToken.END_ARRAY; n = p.nextToken()) {
                        list.add(value(n, Pointers.child(pointer, i++)));
                    }
                    return list;
                }
                case VALUE_STRING:
                    return p.getText();
                case VALUE_NUMBER_INT: {
                    String raw = p.getText();
                    if (!DECIMAL.matcher(raw).matches()) {
                        out.add(new Violation(file, here.line(), here.column(), pointer, "write integers in plain "
                                + "decimal without leading zeros, signs or separators (found " + Printable.of(raw)
                                + "); quote the value if it is text"));
                    }
                    return p.getNumberValue();
                }
                case VALUE_NUMBER_FLOAT:
                    return p.getNumberValue();
                case VALUE_TRUE:
                    return Boolean.TRUE;
                case VALUE_FALSE:
                    return Boolean.FALSE;
                case VALUE_NULL:
                    return null;
                default:
                    out.add(new Violation(file, here.line(), here.column(), pointer, "unsupported YAML value"));
                    return null;
            }
        }
    }

    private static Loc loc(JsonParser p) {
        JsonLocation l = p.currentTokenLocation();
        return l == null ? Loc.UNKNOWN : new Loc(Math.max(l.getLineNr(), 0), Math.max(l.getColumnNr(), 0));
    }

    private static Violation at(String file, JsonLocation l, String message) {
        return l == null ? new Violation(file, 0, 0, "", message)
                : new Violation(file, Math.max(l.getLineNr(), 0), Math.max(l.getColumnNr(), 0), "", message);
    }

    private static String firstSentence(String s) {
        if (s == null) {
            return "limit exceeded";
        }
        int paren = s.indexOf(" (");
        return paren > 0 ? s.substring(0, paren) : s;
    }
}
