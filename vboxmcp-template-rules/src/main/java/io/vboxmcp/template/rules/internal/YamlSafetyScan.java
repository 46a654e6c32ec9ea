package io.vboxmcp.template.rules.internal;

import io.vboxmcp.Violation;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.DocumentStartEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.StreamEndEvent;
import org.yaml.snakeyaml.parser.Parser;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.reader.StreamReader;

import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The SnakeYAML event pre-scan of threats.md 5.1. It runs before Jackson sees the document and refuses every YAML
 * feature a template does not need but an attacker could use: anchors and aliases (billion laughs, YML-01/02), deep
 * nesting (YML-03), duplicate keys (YML-05), tags (YML-06), merge keys (YML-07), several documents (YML-08),
 * directives, complex keys and oversized scalars (YML-11). Events are streamed, never composed into nodes, so nothing
 * is expanded and nothing recurses.
 */
public final class YamlSafetyScan {
    public static final int MAX_DEPTH = 32;
    public static final int MAX_SCALAR_CHARS = 64 * 1024;
    public static final int MAX_KEY_CHARS = 256;

    private final LoaderOptions options;

    public YamlSafetyScan(LoaderOptions options) {
        this.options = options;
    }

    /** @return every structural problem found, empty if the document may be handed to Jackson */
    public List<Violation> scan(String file, String yaml) {
        List<Violation> out = new ArrayList<>();
        Deque<Frame> stack = new ArrayDeque<>();
        int documents = 0;
        try {
            Parser parser = new ParserImpl(new StreamReader(new StringReader(yaml)), options);
            while (true) {
                Event e = parser.getEvent();
                if (e instanceof StreamEndEvent) {
                    break;
                }
                if (e instanceof DocumentStartEvent d) {
                    if (++documents > 1) {
                        out.add(at(file, e.getStartMark(), "", "only one YAML document is allowed per file "
                                + "(found a second document; remove the extra '---')"));
                        return out;
                    }
                    if (d.getVersion() != null || (d.getTags() != null && !d.getTags().isEmpty())) {
                        out.add(at(file, e.getStartMark(), "", "YAML directives (%YAML, %TAG) are not allowed"));
                    }
                    continue;
                }
                if (e instanceof CollectionEndEvent) {
                    stack.pop();
                    continue;
                }
                if (!(e instanceof NodeEvent node)) {
                    continue;
                }
                Frame parent = stack.peek();
                if (parent != null && parent.mapping && parent.expectKey) {
                    if (!key(file, e, parent, out)) {
                        return out;
                    }
                    continue;
                }
                String pointer = parent == null ? "" : parent.childPointer();
                checkNode(file, node, pointer, out);
                if (e instanceof CollectionStartEvent) {
                    if (stack.size() >= MAX_DEPTH) {
                        out.add(at(file, e.getStartMark(), pointer,
                                "nesting is deeper than " + MAX_DEPTH + " levels"));
                        return out;
                    }
                    stack.push(new Frame(pointer, e instanceof MappingStartEvent));
                }
            }
        } catch (MarkedYAMLException ex) {
            Mark m = ex.getProblemMark() != null ? ex.getProblemMark() : ex.getContextMark();
            String problem = ex.getProblem() != null ? ex.getProblem() : ex.getContext();
            out.add(at(file, m, pointerOf(stack), "YAML syntax error: " + Printable.of(firstLine(problem), 200)));
            return out;
        } catch (ReaderException ex) {
            out.add(new Violation(file, 0, 0, "", "the file contains a character YAML does not allow (code point "
                    + String.format("U+%04X", ex.getCodePoint()) + " at character " + ex.getPosition() + ")"));
            return out;
        } catch (YAMLException ex) {
            out.add(new Violation(file, 0, 0, "", "cannot read YAML: " + Printable.of(firstLine(ex.getMessage()), 200)));
            return out;
        }
        if (documents == 0) {
            out.add(new Violation(file, 1, 1, "", "the file is empty: expected a mapping of template fields "
                    + "(name, version, base_image, ...)"));
        }
        return out;
    }

    /** Checks a mapping key; returns false if scanning cannot go on. */
    private static boolean key(String file, Event e, Frame parent, List<Violation> out) {
        if (e instanceof AliasEvent a) {
            out.add(at(file, e.getStartMark(), parent.pointer, "YAML aliases (*" + Printable.of(a.getAnchor())
                    + ") are not allowed"));
            return false;
        }
        if (!(e instanceof ScalarEvent s)) {
            out.add(at(file, e.getStartMark(), parent.pointer, "complex mapping keys ('? [..]' or '? {..}') are not allowed"));
            return false;
        }
        String pointer = Pointers.child(parent.pointer, s.getValue());
        checkNode(file, s, pointer, out);
        if (s.getValue().length() > MAX_KEY_CHARS) {
            out.add(at(file, e.getStartMark(), parent.pointer, "a key is longer than " + MAX_KEY_CHARS + " characters"));
            return false;
        }
        if (s.isPlain() && "<<".equals(s.getValue())) {
            out.add(at(file, e.getStartMark(), pointer, "YAML merge keys (<<) are not allowed; write the fields out"));
        }
        Integer first = parent.keys.putIfAbsent(s.getValue(), e.getStartMark().getLine() + 1);
        if (first != null) {
            out.add(at(file, e.getStartMark(), pointer, "duplicate key " + Printable.quoted(s.getValue())
                    + " (first defined on line " + first + ")"));
        }
        parent.pendingKey = s.getValue();
        parent.expectKey = false;
        return true;
    }

    private static void checkNode(String file, NodeEvent node, String pointer, List<Violation> out) {
        if (node instanceof AliasEvent a) {
            out.add(at(file, node.getStartMark(), pointer, "YAML aliases (*" + Printable.of(a.getAnchor())
                    + ") are not allowed"));
            return;
        }
        if (node.getAnchor() != null) {
            out.add(at(file, node.getStartMark(), pointer, "YAML anchors (&" + Printable.of(node.getAnchor())
                    + ") are not allowed"));
        }
        String tag = node instanceof ScalarEvent s ? s.getTag()
                : node instanceof CollectionStartEvent c ? c.getTag() : null;
        if (tag != null) {
            out.add(at(file, node.getStartMark(), pointer, "YAML tags (" + Printable.of(tag) + ") are not allowed"));
        }
        if (node instanceof ScalarEvent s && s.getValue().length() > MAX_SCALAR_CHARS) {
            out.add(at(file, node.getStartMark(), pointer, "a value is longer than " + MAX_SCALAR_CHARS + " characters"));
        }
    }

    private static String pointerOf(Deque<Frame> stack) {
        Frame f = stack.peek();
        return f == null ? "" : f.pointer;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unknown problem";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static Violation at(String file, Mark mark, String pointer, String message) {
        return mark == null ? new Violation(file, 0, 0, pointer, message)
                : new Violation(file, mark.getLine() + 1, mark.getColumn() + 1, pointer, message);
    }

    private static final class Frame {
        final String pointer;
        final boolean mapping;
        final Map<String, Integer> keys;
        boolean expectKey = true;
        String pendingKey;
        int index;

        Frame(String pointer, boolean mapping) {
            this.pointer = pointer;
            this.mapping = mapping;
            this.keys = mapping ? new HashMap<>() : Map.of();
        }

        String childPointer() {
            if (mapping) {
                expectKey = true;
                return Pointers.child(pointer, pendingKey);
            }
            return Pointers.child(pointer, index++);
        }
    }
}
