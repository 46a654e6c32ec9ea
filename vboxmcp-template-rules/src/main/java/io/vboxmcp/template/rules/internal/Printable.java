package io.vboxmcp.template.rules.internal;

import java.util.Locale;

/**
 * Escapes text from template documents before it reaches a message, a terminal or a log (threat YML-13):
 * control characters, C1 controls, bidi overrides and other format characters become {@code \\uXXXX}.
 */
public final class Printable {
    private static final int DEFAULT_LIMIT = 80;

    private Printable() {
    }

    /** @return {@code text} escaped and cut to 80 code points ({@code …} marks a cut); "null" for null */
    public static String of(String text) {
        return of(text, DEFAULT_LIMIT);
    }

    /** @return a file name or path for a message: escaped and cut to 200 code points; "null" for null */
    public static String path(String text) {
        return of(text, 200);
    }

    /** @return {@code text} escaped and cut to {@code limit} code points; "null" for null */
    public static String of(String text, int limit) {
        if (text == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(Math.min(text.length(), limit) + 8);
        int count = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (count++ == limit) {
                b.append('…');
                break;
            }
            if (needsEscape(cp)) {
                if (cp > 0xffff) {
                    b.append(String.format(Locale.ROOT, "\\U%08x", cp));
                } else {
                    b.append(String.format(Locale.ROOT, "\\u%04x", cp));
                }
            } else {
                b.appendCodePoint(cp);
            }
        }
        return b.toString();
    }

    /**
     * The one escaping rule for every human-readable line the command line prints (YML-13): like {@link #of(String)}
     * but not cut, and a line feed stays a line break (each line escaped on its own). Carriage returns, escape
     * sequences (CSI, OSC), other C0/C1 controls, bidi overrides and other format characters become
     * {@code \\uXXXX}, so untrusted text can neither move the cursor, rewrite earlier output nor reorder a line.
     *
     * @return {@code text} escaped; "null" for null
     */
    public static String lines(String text) {
        if (text == null) {
            return "null";
        }
        String[] parts = text.split("\n", -1);
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                b.append('\n');
            }
            b.append(of(parts[i], Integer.MAX_VALUE));
        }
        return b.toString();
    }

    /** @return {@code text} between double quotes, escaped */
    public static String quoted(String text) {
        return "\"" + of(text) + "\"";
    }

    private static boolean needsEscape(int cp) {
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            return true;
        }
        int type = Character.getType(cp);
        return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                || type == Character.SURROGATE || type == Character.UNASSIGNED || type == Character.PRIVATE_USE;
    }
}
