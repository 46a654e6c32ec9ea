package io.vboxmcp.template.rules.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line's one escaping rule for human-readable output (YML-13). */
class PrintableTest {
    @Test
    void lines_escapesTerminalControlsAndBidi_keepsLineBreaksAndLength_YML13() {
        String hostile = "a\u001b]8;;https://evil\u0007link\u001b]8;;\u0007\rX\u202eZ\u0085\u2028\tq";
        String once = Printable.lines(hostile + "\n" + "x".repeat(500));
        assertThat(once).doesNotContain("\u001b", "\u0007", "\r", "\u202e", "\u0085", "\u2028", "\t")
                .contains("\\u001b]8;;https://evil\\u0007", "\\u000d", "\\u202e", "\\u0085", "\\u2028", "\\u0009")
                .endsWith("\n" + "x".repeat(500));
        assertThat(once.split("\n", -1)).hasSize(2);
        assertThat(Printable.lines(once)).as("escaping escaped text changes nothing").isEqualTo(once);
        assertThat(Printable.lines("plain ünïcödé ✓")).isEqualTo("plain ünïcödé ✓");
    }
}
