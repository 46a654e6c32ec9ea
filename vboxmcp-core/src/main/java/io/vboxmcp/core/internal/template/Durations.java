package io.vboxmcp.core.internal.template;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Script timeouts: an integer number of seconds, or {@code 1h30m}, {@code 10m}, {@code 30s} and the like. */
final class Durations {
    static final Duration MAX = Duration.ofHours(24);
    private static final Pattern TEXT = Pattern.compile("(?:([0-9]{1,5})h)?(?:([0-9]{1,5})m)?(?:([0-9]{1,5})s)?");

    private Durations() {
    }

    /** @return the duration, or null if {@code text} is not a duration string (empty included) */
    static Duration parse(String text) {
        Matcher m = TEXT.matcher(text);
        if (text.isEmpty() || !m.matches()) {
            return null;
        }
        return Duration.ofHours(part(m.group(1))).plusMinutes(part(m.group(2))).plusSeconds(part(m.group(3)));
    }

    private static long part(String g) {
        return g == null ? 0 : Long.parseLong(g);
    }
}
