package io.vboxmcp.core.internal.template;

import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.core.internal.template.TestScenarios.Outcome;
import io.vboxmcp.core.internal.template.TestScenarios.Scenario;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TestScenariosTest {
    static final Path WEB_DEMO = Path.of("").toAbsolutePath().getParent().resolve("examples/templates/web-demo");

    @TempDir
    Path tmp;

    @Test
    void load_readsTheExampleScenariosWithTheirExpectations() throws Exception {
        List<Scenario> s = TestScenarios.load(WEB_DEMO);
        assertThat(s).extracting(Scenario::name).containsExactly("default", "wrong-greeting", "too-little-memory");
        assertThat(s.get(0).checks()).containsExactly("developer.sh", "web.sh");
        assertThat(s.get(0).restricted()).isTrue();
        assertThat(s.get(1).expect().outcome()).isEqualTo(Outcome.CHECK_FAILS);
        assertThat(s.get(1).environment()).containsEntry("EXPECTED_GREETING", "hello from somewhere else");
        assertThat(s.get(2).expect()).isEqualTo(new TestScenarios.Expectation(Outcome.CREATE_FAILS, "plan",
                "RESOURCE_LIMIT", null));
        assertThat(s.get(2).memoryMb()).isEqualTo(128);
    }

    @Test
    void load_withoutScenariosFile_isOneDefaultScenarioRunningEveryCheck() throws Exception {
        Files.createDirectories(tmp.resolve("tests"));
        Files.writeString(tmp.resolve("tests/b.sh"), "true\n");
        Files.writeString(tmp.resolve("tests/a.sh"), "true\n");
        Files.writeString(tmp.resolve("tests/notes.txt"), "not a check\n");
        assertThat(TestScenarios.load(tmp)).singleElement().satisfies(s -> {
            assertThat(s.name()).isEqualTo("default");
            assertThat(s.checks()).containsExactly("a.sh", "b.sh");
            assertThat(s.expect().outcome()).isEqualTo(Outcome.PASS);
        });
    }

    @Test
    void load_reportsEveryProblemWithLineAndColumn() throws Exception {
        Files.createDirectories(tmp.resolve("tests"));
        Files.writeString(tmp.resolve("tests/ok.sh"), "true\n");
        Files.writeString(tmp.resolve("tests/scenarios.yaml"), """
                scenarios:
                  - name: one
                    shared_folders: {data: /etc}
                  - name: one
                    network: closed
                    expect: {outcome: check-fails, check: ok.sh}
                    checks: [gone.sh]
                """);
        assertThatThrownBy(() -> TestScenarios.load(tmp)).isInstanceOfSatisfying(TemplateValidationException.class,
                e -> assertThat(e.violations()).extracting(v -> v.line() + ":" + v.pointer()).contains(
                        "5:/scenarios/1/network"));
        Files.writeString(tmp.resolve("tests/scenarios.yaml"), """
                scenarios:
                  - name: one
                    shared_folders: {data: /etc}
                  - name: one
                    expect: {outcome: check-fails, check: ok.sh}
                    checks: [gone.sh]
                """);
        assertThatThrownBy(() -> TestScenarios.load(tmp)).isInstanceOfSatisfying(TemplateValidationException.class,
                e -> assertThat(e.violations()).extracting(v -> v.line() + ":" + v.pointer()).containsExactly(
                        "3:/scenarios/0/shared_folders/data", "4:/scenarios/1/name", "5:/scenarios/1/expect/check",
                        "6:/scenarios/1/checks/0"));
    }

    @Test
    void publishedSchema_isTheOneCoreValidatesWith() throws Exception {
        try (var in = TestScenarios.class.getResourceAsStream(TestScenarios.SCHEMA)) {
            assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(Files.readString(
                    WEB_DEMO.getParent().getParent().getParent().resolve("schema/template-tests.schema.json")));
        }
    }

    @Test
    void load_refusesYamlAliasesLikeTheDefinitionDoes() throws Exception {
        Files.createDirectories(tmp.resolve("tests"));
        Files.writeString(tmp.resolve("tests/scenarios.yaml"), """
                scenarios:
                  - &a {name: one}
                  - *a
                """);
        assertThatThrownBy(() -> TestScenarios.load(tmp)).isInstanceOf(TemplateValidationException.class)
                .hasMessageContaining("scenarios.yaml");
    }
}
