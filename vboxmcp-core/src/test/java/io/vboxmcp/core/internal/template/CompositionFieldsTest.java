package io.vboxmcp.core.internal.template;

import io.vboxmcp.TemplateRef;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.Violation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The composition fields of a single document: {@code extends}, {@code requires}, {@code kind}. */
class CompositionFieldsTest {
    private static TemplateDocument parse(String yaml) throws TemplateValidationException {
        return TemplateLoader.standard().parseDocument("t.yaml", yaml.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> problems(String yaml) {
        try {
            parse(yaml);
            throw new AssertionError("expected violations for:\n" + yaml);
        } catch (TemplateValidationException e) {
            return e.violations().stream().map(v -> v.pointer() + ": " + v.message()).toList();
        }
    }

    @Test
    void parse_readsBothReferenceForms_andNeedsNoBaseImageWhenExtending() throws Exception {
        TemplateDocument d = parse("name: app\nversion: \"1.0.0\"\nextends: [\"base-os@^1.2\", plain]\n"
                + "requires:\n  - template: tools\n    version: \"~1.0\"\n  - template: any\n");
        assertThat(d.bases()).containsExactly(TemplateRef.parse("base-os@^1.2"), TemplateRef.parse("plain"));
        assertThat(d.requires()).containsExactly(TemplateRef.parse("tools@~1.0"), TemplateRef.parse("any"));
        assertThat(d.definition().baseImage()).isNull();
        assertThat(d.composed()).isTrue();
        assertThat(d.feature()).isFalse();
        assertThat(d.definition().extensions()).isEmpty();
    }

    @Test
    void parse_featureNeedsNoBaseImage() throws Exception {
        TemplateDocument d = parse("name: tools\nversion: \"1.0.0\"\nkind: feature\npackages: {system: [jq]}\n");
        assertThat(d.feature()).isTrue();
        assertThat(d.composed()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "no base image, no extends | name: a\\nversion: \"1.0.0\" | : missing required field 'base_image'",
            "feature with base image | name: a\\nversion: \"1.0.0\"\\nkind: feature\\nbase_image: x | /base_image: a feature (kind: feature) has no base_image",
            "feature that extends | name: a\\nversion: \"1.0.0\"\\nkind: feature\\nextends: [b] | /extends: a feature (kind: feature) has no extends",
            "extends itself | name: a\\nversion: \"1.0.0\"\\nextends: [a] | /extends/0: a template cannot extend itself",
            "requires itself | name: a\\nversion: \"1.0.0\"\\nbase_image: x\\nrequires: [\"a@1\"] | /requires/0: a template cannot require itself",
            "listed twice | name: a\\nversion: \"1.0.0\"\\nextends: [b, \"b@2\"] | /extends/1: \"b\" is listed more than once in extends",
            "bad range | name: a\\nversion: \"1.0.0\"\\nextends: [\"b@^^1\"] | /extends/0: not a version range",
            "bad name | name: a\\nversion: \"1.0.0\"\\nextends: [\"B!\"] | /extends/0",
            "unknown key in a reference | name: a\\nversion: \"1.0.0\"\\nextends: [{template: b, ref: main}] | /extends/0",
            "unknown kind | name: a\\nversion: \"1.0.0\"\\nbase_image: x\\nkind: plugin | /kind"})
    void parse_refusesMalformedComposition(String what, String yaml, String expected) {
        assertThat(problems(yaml.replace("\\n", "\n"))).as(what).anyMatch(p -> p.startsWith(expected));
    }

    @Test
    void validateComposed_requiresTheBaseImageTheBasesDidNotGive() {
        assertThatThrownBy(() -> TemplateLoader.standard().validateComposed("app@1.0.0 (composed)",
                new java.util.LinkedHashMap<>(Map.of("name", "app", "version", "1.0.0"))))
                .isInstanceOfSatisfying(TemplateValidationException.class, e -> assertThat(e.violations())
                        .extracting(Violation::message).containsExactly("missing required field 'base_image': neither "
                                + "the template nor any template it extends names a base image"));
    }

    @Test
    void validateComposed_reportsMergedDuplicatesAgainstTheComposedName() {
        Map<String, Object> merged = new java.util.LinkedHashMap<>();
        merged.put("name", "app");
        merged.put("version", "1.0.0");
        merged.put("base_image", "x");
        merged.put("shared_folders", List.of(Map.of("name", "a", "host_path", "/a", "guest_path", "/same"),
                Map.of("name", "b", "host_path", "/b", "guest_path", "/same")));
        assertThatThrownBy(() -> TemplateLoader.standard().validateComposed("app@1.0.0 (composed)", merged))
                .isInstanceOfSatisfying(TemplateValidationException.class, e -> assertThat(e.violations())
                        .singleElement().satisfies(v -> {
                            assertThat(v.file()).isEqualTo("app@1.0.0 (composed)");
                            assertThat(v.message()).contains("guest path \"/same\" is used more than once");
                        }));
    }
}
