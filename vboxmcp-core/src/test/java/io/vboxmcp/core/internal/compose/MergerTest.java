package io.vboxmcp.core.internal.compose;

import io.vboxmcp.core.internal.template.TemplateDocument;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.template.TemplateDefinition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The merge rules, one row per field kind, at two levels (base, template) and three (base, middle base, template),
 * each merged result validated again by the real loader: what docs/templates.md#merge-rules promises.
 */
class MergerTest {
    private static final TemplateLoader LOADER = TemplateLoader.standard();

    static Stream<Arguments> rules() {
        return Stream.of(
                // field kind, base, (middle), template, what the merged definition shows, where it came from
                rule("scalar: the later wins", "description: base", "description: middle", "description: top",
                        t -> t.description(), "top", "description", "top@1.0.0"),
                rule("scalar absent later: inherited", "author: base", "", "",
                        t -> t.author(), "base", "author", "base@1.0.0"),
                rule("base_image: the later wins", "", "base_image: \"img:2\"", "",
                        t -> t.baseImage(), "img:2", "base_image: img:2", "middle@1.0.0"),
                rule("minimum: the maximum", "min_ram: 4096", "min_ram: 1024", "min_ram: 2048",
                        t -> t.minRamMb(), 4096, "min_ram: 4096", "base@1.0.0"),
                rule("minimum: the maximum (cores)", "min_cores: 1", "min_cores: 4", "",
                        t -> t.minCores(), 4, "min_cores: 4", "middle@1.0.0"),
                rule("packages: union per group, base first", "packages: {system: [git, curl]}",
                        "packages: {system: [curl, make], pip: [requests]}", "packages: {system: [vim, git]}",
                        t -> t.packages(), Map.of("system", List.of("git", "curl", "make", "vim"),
                                "pip", List.of("requests")), "packages.system: make", "middle@1.0.0"),
                rule("ports: union without duplicates", "ports: [22, 8000]", "ports: [8000, 9000]", "ports: [80]",
                        t -> t.ports(), List.of(22, 8000, 9000, 80), "port: 9000", "middle@1.0.0"),
                rule("environment: overlay, the later wins", "environment: {A: base, B: base}",
                        "environment: {B: middle}", "environment: {A: top, C: top}",
                        t -> t.environment(), Map.of("A", "top", "B", "middle", "C", "top"), "environment.B",
                        "middle@1.0.0"),
                rule("scripts: base first", "scripts: [{name: one, command: echo 1}]",
                        "scripts: [{name: two, command: echo 2}]", "scripts: [{name: three, command: echo 3}]",
                        t -> t.scripts().stream().map(s -> s.name() + "=" + s.command()).toList(),
                        List.of("one=echo 1", "two=echo 2", "three=echo 3"), "script: one", "base@1.0.0"),
                rule("scripts: same name replaced in place", "scripts: [{name: one, command: echo 1}, "
                                + "{name: two, command: echo 2}]", "", "scripts: [{name: one, command: echo top}]",
                        t -> t.scripts().stream().map(s -> s.name() + "=" + s.command()).toList(),
                        List.of("one=echo top", "two=echo 2"), "script: one", "top@1.0.0"),
                rule("shared folders: merged by name", "shared_folders: [{name: data, host_path: /a, guest_path: /data, "
                                + "read_only: true}]", "shared_folders: [{name: logs, host_path: /l, guest_path: /logs, "
                                + "read_only: true}]",
                        "shared_folders: [{name: data, host_path: /b, guest_path: /srv/data, read_only: true}]",
                        t -> t.sharedFolders().stream().map(f -> f.name() + "=" + f.hostPath() + ":" + f.guestPath())
                                .toList(), List.of("data=/b:/srv/data", "logs=/l:/logs"), "shared_folder: data",
                        "top@1.0.0"),
                rule("metadata: key by key", "metadata: {license: MIT, tags: [base]}", "metadata: {tags: [mid]}",
                        "metadata: {source: \"https://example.org\"}",
                        t -> List.of(t.metadata().license(), t.metadata().tags(), t.metadata().source()),
                        List.of("MIT", List.of("mid"), "https://example.org"), "metadata.license", "base@1.0.0"),
                rule("x- extensions: the later wins", "x-tool: {a: 1}", "", "x-tool: {b: 2}",
                        t -> t.extensions(), Map.of("x-tool", Map.of("b", 2)), "x-tool", "top@1.0.0"));
    }

    private static Arguments rule(String kind, String base, String middle, String top,
                                  Function<TemplateDefinition, Object> field, Object expected, String label,
                                  String from) {
        return Arguments.of(kind, base, middle, top, field, expected, label, from);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void merge_threeLevels(String kind, String base, String middle, String top,
                           Function<TemplateDefinition, Object> field, Object expected, String label, String from)
            throws Exception {
        List<Component> order = List.of(
                component("base", Component.Role.BASE, "base_image: \"img:1\"\n" + base, ""),
                component("middle", Component.Role.BASE, middle, "extends: [base]\n"),
                component("top", Component.Role.ROOT, top, "extends: [middle]\n"));
        Merger.Result r = Merger.merge(order);
        TemplateDefinition t = LOADER.validateComposed("top", r.tree());
        assertThat(field.apply(t)).as(kind).isEqualTo(expected);
        assertThat(r.provenance()).as("provenance of " + label).containsEntry(label, from);
        assertThat(t.name()).isEqualTo("top");
    }

    static Stream<Arguments> twoLevelRules() {
        return Stream.of(
                // field kind, base, template, what the merged definition shows, a provenance label, its origin
                Arguments.of("scalar", "description: base", "description: top",
                        (Function<TemplateDefinition, Object>) TemplateDefinition::description, "top", "description",
                        "top@1.0.0"),
                Arguments.of("base_image inherited", "", "",
                        (Function<TemplateDefinition, Object>) TemplateDefinition::baseImage, "img:1",
                        "base_image: img:1", "base@1.0.0"),
                Arguments.of("minimum", "min_disk: 100", "min_disk: 5000",
                        (Function<TemplateDefinition, Object>) TemplateDefinition::minDiskMb, 5000, "min_disk: 5000",
                        "top@1.0.0"),
                Arguments.of("packages", "packages: {system: [a, b]}", "packages: {system: [b, c], npm: [d]}",
                        (Function<TemplateDefinition, Object>) TemplateDefinition::packages,
                        Map.of("system", List.of("a", "b", "c"), "npm", List.of("d")), "packages.system: b",
                        "base@1.0.0"),
                Arguments.of("ports", "ports: [1, 2]", "ports: [2, 3]",
                        (Function<TemplateDefinition, Object>) TemplateDefinition::ports, List.of(1, 2, 3), "port: 3",
                        "top@1.0.0"),
                Arguments.of("environment", "environment: {X: \"1\"}", "environment: {X: \"2\"}",
                        (Function<TemplateDefinition, Object>) TemplateDefinition::environment, Map.of("X", "2"),
                        "environment.X", "top@1.0.0"),
                Arguments.of("scripts", "scripts: [{name: a, command: a}]", "scripts: [{name: b, command: b}]",
                        (Function<TemplateDefinition, Object>) t -> t.scripts().stream().map(x -> x.name()).toList(),
                        List.of("a", "b"), "script: a", "base@1.0.0"),
                Arguments.of("metadata", "metadata: {license: MIT}", "metadata: {license: Apache-2.0}",
                        (Function<TemplateDefinition, Object>) t -> t.metadata().license(), "Apache-2.0",
                        "metadata.license", "top@1.0.0"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("twoLevelRules")
    void merge_twoLevels(String kind, String base, String top, Function<TemplateDefinition, Object> field,
                         Object expected, String label, String from) throws Exception {
        Merger.Result r = Merger.merge(List.of(
                component("base", Component.Role.BASE, "base_image: \"img:1\"\n" + base, ""),
                component("top", Component.Role.ROOT, top, "extends: [base]\n")));
        TemplateDefinition t = LOADER.validateComposed("top", r.tree());
        assertThat(field.apply(t)).as(kind).isEqualTo(expected);
        assertThat(r.provenance()).containsEntry(label, from);
    }

    @org.junit.jupiter.api.Test
    void merge_featureContributesOnlyItsPieces() throws Exception {
        List<Component> order = List.of(
                component("base", Component.Role.BASE, "base_image: \"img:1\"\ndescription: the base\n"
                        + "packages: {system: [git]}\n", ""),
                component("tools", Component.Role.FEATURE, "description: a feature\nmetadata: {license: GPL-2.0}\n"
                        + "packages: {system: [curl, git]}\nscripts: [{name: tools, command: echo t}]\n"
                        + "environment: {TOOLS: \"1\"}\nports: [9000]\nmin_ram: 512\n", "kind: feature\n"),
                component("top", Component.Role.ROOT, "", "extends: [base]\nrequires: [tools]\n"));
        Merger.Result r = Merger.merge(order);
        TemplateDefinition t = LOADER.validateComposed("top", r.tree());
        assertThat(t.description()).isEqualTo("the base");
        assertThat(t.metadata().license()).isNull();
        assertThat(t.packages("system")).containsExactly("git", "curl");
        assertThat(t.scripts()).extracting(s -> s.name()).containsExactly("tools");
        assertThat(t.environment()).containsEntry("TOOLS", "1");
        assertThat(t.ports()).containsExactly(9000);
        assertThat(t.minRamMb()).isEqualTo(512);
        assertThat(r.tree()).doesNotContainKeys("extends", "requires", "kind");
        assertThat(r.provenance()).containsEntry("packages.system: curl", "tools@1.0.0")
                .containsEntry("packages.system: git", "base@1.0.0").containsEntry("min_ram: 512", "tools@1.0.0");
    }

    static Component component(String name, Component.Role role, String body, String head) throws Exception {
        String yaml = "name: " + name + "\nversion: \"1.0.0\"\n" + head + body + "\n";
        TemplateDocument doc = LOADER.parseDocument(name, yaml.getBytes(StandardCharsets.UTF_8));
        return new Component(name, doc.definition().version(), role, "test", "sha256:" + "0".repeat(64), null, doc,
                null);
    }
}
