package io.vboxmcp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TemplateRefTest {
    @Test
    void parse_nameAndRange() throws Exception {
        TemplateRef ref = TemplateRef.parse("python-dev@^1.0");
        assertThat(ref.name()).isEqualTo("python-dev");
        assertThat(ref.range()).isEqualTo(VersionRange.parse("^1.0"));
        assertThat(ref.range().contains(SemanticVersion.parse("1.4.2"))).isTrue();
        assertThat(ref.range().contains(SemanticVersion.parse("2.0.0"))).isFalse();
        assertThat(ref).hasToString("python-dev@^1.0");
    }

    @Test
    void parse_bareNameOrEmptyRange_meansAnyRelease() throws Exception {
        for (String text : new String[]{"python-dev", "python-dev@", "python-dev@*"}) {
            TemplateRef ref = TemplateRef.parse(text);
            assertThat(ref.name()).isEqualTo("python-dev");
            assertThat(ref.range().contains(SemanticVersion.parse("7.1.0"))).as(text).isTrue();
            assertThat(ref.range().contains(SemanticVersion.parse("7.1.0-rc.1"))).as(text).isFalse();
        }
        assertThat(TemplateRef.parse("python-dev")).hasToString("python-dev@*");
        assertThat(TemplateRef.of("python-dev", null)).isEqualTo(TemplateRef.parse("python-dev"));
    }

    @Test
    void parse_exactVersion() throws Exception {
        TemplateRef ref = TemplateRef.of("python-dev", "1.0.0");
        assertThat(ref.range().exactVersion()).contains(SemanticVersion.parse("1.0.0"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Python-dev@1.0.0", "@1.0.0", ".@1", "..", "a/b@1", "-a", "a_b", "CON",
            "python-dev@1.0.0@2", "python-dev@^x.y", "python-dev@>=", "naïve@1"})
    void parse_rejectsMalformedReferences(String text) {
        assertThatThrownBy(() -> TemplateRef.parse(text)).isInstanceOf(VersionFormatException.class);
    }

    @Test
    void names_followTheGrammar() {
        assertThat(TemplateRef.isValidName("a")).isTrue();
        assertThat(TemplateRef.isValidName("0abc-9")).isTrue();
        assertThat(TemplateRef.isValidName("a".repeat(63))).isTrue();
        assertThat(TemplateRef.isValidName("a".repeat(64))).isFalse();
        assertThat(TemplateRef.isValidName("python-dev\n")).isFalse();
        assertThat(TemplateRef.isValidName("")).isFalse();
        assertThat(TemplateRef.isValidName(null)).isFalse();
        assertThatThrownBy(() -> new TemplateRef("Bad", VersionRange.parse("*")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parse_errorMessageEscapesControlCharacters() {
        assertThatThrownBy(() -> TemplateRef.parse("evil\u001b[31m@1"))
                .isInstanceOf(VersionFormatException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains("\\u001b").doesNotContain("\u001b"));
    }
}
