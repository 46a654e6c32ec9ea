package io.vboxmcp.template.rules.internal;

/** RFC 6901 JSON pointer helpers. */
public final class Pointers {
    private Pointers() {
    }

    public static String child(String parent, String key) {
        return parent + "/" + escape(key);
    }

    public static String child(String parent, int index) {
        return parent + "/" + index;
    }

    public static String escape(String key) {
        if (key.indexOf('~') < 0 && key.indexOf('/') < 0) {
            return key;
        }
        return key.replace("~", "~0").replace("/", "~1");
    }

    public static String unescape(String token) {
        if (token.indexOf('~') < 0) {
            return token;
        }
        return token.replace("~1", "/").replace("~0", "~");
    }

    /** @return the pointer of the containing value, "" for the document or a top-level field */
    public static String parent(String pointer) {
        int slash = pointer.lastIndexOf('/');
        return slash <= 0 ? "" : pointer.substring(0, slash);
    }

    /** @return the last token, unescaped */
    public static String last(String pointer) {
        return unescape(pointer.substring(pointer.lastIndexOf('/') + 1));
    }

    /** @return the pointer with every array index replaced by {@code *} and every key below a map-valued field by {@code *} */
    public static String shape(String pointer) {
        if (pointer.isEmpty()) {
            return pointer;
        }
        String[] tokens = pointer.substring(1).split("/", -1);
        StringBuilder b = new StringBuilder(pointer.length());
        for (int i = 0; i < tokens.length; i++) {
            boolean freeKey = i == 1 && (tokens[0].equals("packages") || tokens[0].equals("environment"));
            boolean index = !tokens[i].isEmpty() && tokens[i].chars().allMatch(c -> c >= '0' && c <= '9');
            b.append('/').append(freeKey || (index && i > 0) ? "*" : tokens[i]);
        }
        return b.toString();
    }
}
