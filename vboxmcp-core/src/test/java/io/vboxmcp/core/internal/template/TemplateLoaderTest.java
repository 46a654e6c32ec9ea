package io.vboxmcp.core.internal.template;

import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.Violation;
import io.vboxmcp.template.Script;
import io.vboxmcp.template.SharedFolder;
import io.vboxmcp.template.TemplateDefinition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class TemplateLoaderTest {
    private static final String MINIMAL = """
            name: minimal
            version: "0.1.0"
            base_image: "debian:12"
            """;

    private final TemplateLoader loader = TemplateLoader.standard();

    static Path seedFolder() {
        try {
            return Path.of(TemplateLoaderTest.class.getResource("/templates/seed-python-dev").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private TemplateDefinition parse(String yaml) throws TemplateValidationException {
        return loader.parse("t.yaml", yaml.getBytes(StandardCharsets.UTF_8));
    }

    private List<Violation> violations(String yaml) {
        try {
            TemplateDefinition d = parse(yaml);
            throw new AssertionError("expected the document to be refused, but it loaded as " + d);
        } catch (TemplateValidationException e) {
            assertThat(e.violations()).as("a refusal names at least one problem").isNotEmpty();
            return e.violations();
        }
    }

    private static List<String> messages(List<Violation> vs) {
        return vs.stream().map(Violation::message).toList();
    }

    // ---------------------------------------------------------------- the seed example

    @Test
    void load_seedExample_mapsEveryField() throws Exception {
        TemplateDefinition d = loader.load(seedFolder());

        assertThat(d.name()).isEqualTo("python-dev");
        assertThat(d.version()).isEqualTo(SemanticVersion.parse("1.0.0"));
        assertThat(d.description()).isEqualTo("Python 3.10 development environment");
        assertThat(d.author()).isEqualTo("vboxmcp Team");
        assertThat(d.baseImage()).isEqualTo("ubuntu:22.04");
        assertThat(d.minRamMb()).isEqualTo(2048);
        assertThat(d.minDiskMb()).isEqualTo(20000);
        assertThat(d.minCores()).isEqualTo(2);
        assertThat(d.packages()).containsExactly(
                Map.entry("system", List.of("git", "curl")),
                Map.entry("python", List.of("python3.10", "python3-pip", "python3-venv")));
        assertThat(d.packages().keySet()).as("package managers keep document order").containsExactly("system", "python");
        assertThat(d.scripts()).containsExactly(
                new Script("Install Python packages", "pip install -r requirements.txt", "/tmp", "root", null));
        assertThat(d.environment()).containsExactly(Map.entry("PYTHONUNBUFFERED", "1"));
        assertThat(d.ports()).containsExactly(8000, 8080);
        assertThat(d.sharedFolders()).containsExactly(
                new SharedFolder("code", "~/projects", "/home/developer/code", false));
        assertThat(d.metadata().tags()).containsExactly("python", "development", "ubuntu");
        assertThat(d.metadata().license()).isEqualTo("MIT");
        assertThat(d.metadata().source()).isEqualTo("https://github.com/example/python-dev-template");
        assertThat(d.extensions()).isEmpty();
    }

    @Test
    void load_seedExample_isTheSeedsTextVerbatim() throws Exception {
        String fixture = Files.readString(seedFolder().resolve(TemplateLoader.FILE_NAME));
        assertThat(fixture)
                .as("the fixture keeps the seed's comments, quotes and whitespace")
                .contains("# template-definition.yaml\n", "min_ram: 2048  # MB\n", "PYTHONUNBUFFERED: \"1\"\n  \n",
                        "  - 8000  # Default web server port\n", "tags: [\"python\", \"development\", \"ubuntu\"]");
    }

    @Test
    void load_acceptsFileOrFolder_andNamesTheFileInViolations(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(TemplateLoader.FILE_NAME);
        Files.writeString(file, MINIMAL);
        assertThat(loader.load(dir)).isEqualTo(loader.load(file));

        Files.writeString(file, "name: Bad\nversion: \"1.0.0\"\nbase_image: x\n");
        assertThatThrownBy(() -> loader.load(dir))
                .isInstanceOfSatisfying(TemplateValidationException.class, e -> assertThat(e.violations())
                        .extracting(Violation::file, Violation::line, Violation::column, Violation::pointer)
                        .containsExactly(tuple(file.toString(), 1, 7, "/name")));
    }

    @Test
    void load_missingFileOrFolderWithoutDefinition_isValidationError(@TempDir Path dir) {
        assertThatThrownBy(() -> loader.load(dir))
                .isInstanceOf(TemplateValidationException.class)
                .hasMessageContaining("no " + TemplateLoader.FILE_NAME);
        assertThatThrownBy(() -> loader.load(dir.resolve("nope.yaml")))
                .isInstanceOf(TemplateValidationException.class)
                .hasMessageContaining("does not exist");
    }

    @Test
    void load_refusesNonRegularFile_withoutReadingIt(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve(TemplateLoader.FILE_NAME);
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(p.waitFor()).isZero();
        assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
                assertThatThrownBy(() -> loader.load(dir))
                        .isInstanceOf(TemplateValidationException.class)
                        .hasMessageContaining("not a regular file"));
    }

    @Test
    void load_leavesTheFileUnchanged(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(TemplateLoader.FILE_NAME);
        byte[] bad = "name: x\nname: y\n".getBytes(StandardCharsets.UTF_8);
        Files.write(file, bad);
        assertThatThrownBy(() -> loader.load(file)).isInstanceOf(TemplateValidationException.class);
        assertThat(Files.readAllBytes(file)).isEqualTo(bad);
        try (var list = Files.list(dir)) {
            assertThat(list).containsExactly(file);
        }
    }

    // ---------------------------------------------------------------- all violations, located

    @Test
    void parse_reportsEveryViolationAtTheOffendingValue() {
        String yaml = """
                name: "Bad_Name"
                version: "1.0"
                base_image: "ubuntu:22.04"
                min_ram: -1
                scripts:
                  - name: build
                    command: make
                    run_as: "Root"
                    timeout: 0
                ports:
                  - 8000
                  - 0
                  - 8000
                shared_folders:
                  - name: src
                    host_path: ~/src
                    guest_path: src
                scirpt: x
                """;
        List<Violation> vs = violations(yaml);

        assertThat(vs).extracting(Violation::line, Violation::column, Violation::pointer).containsExactly(
                tuple(1, 7, "/name"),
                tuple(2, 10, "/version"),
                tuple(4, 10, "/min_ram"),
                tuple(8, 13, "/scripts/0/run_as"),
                tuple(9, 14, "/scripts/0/timeout"),
                tuple(12, 5, "/ports/1"),
                tuple(13, 5, "/ports/2"),
                tuple(17, 17, "/shared_folders/0/guest_path"),
                tuple(18, 1, "/scirpt"));
        assertThat(vs.get(0).toString()).isEqualTo("t.yaml:1:7: /name: must be a template name: lower-case letters, "
                + "digits and '-', starting with a letter or digit, 1 to 63 characters (found the text \"Bad_Name\")");
        assertThat(vs.get(2).message()).isEqualTo("must be between 0 and 2147483647 (found -1)");
        assertThat(vs.get(5).message()).isEqualTo("must be between 1 and 65535 (found 0)");
        assertThat(vs.get(6).message()).isEqualTo("port 8000 is listed more than once (first on line 11)");
        assertThat(vs.get(8).message()).startsWith("unknown field \"scirpt\" (did you mean 'scripts'?)");
    }

    @Test
    void parse_missingNestedRequiredField_pointsAtTheItem() {
        List<Violation> vs = violations(MINIMAL + """
                scripts:
                  - name: no command here
                shared_folders:
                  - {name: a, host_path: /h}
                """);
        assertThat(vs).extracting(Violation::line, Violation::column, Violation::pointer, Violation::message)
                .containsExactly(
                        tuple(5, 5, "/scripts/0", "missing required field 'command'"),
                        tuple(7, 5, "/shared_folders/0", "missing required field 'guest_path'"));
    }

    @Test
    void parse_typeErrorsSayWhatWasExpected() {
        List<Violation> vs = violations(MINIMAL + """
                min_cores: "2"
                environment:
                  DEBUG: 1
                  VERBOSE: true
                ports: 8080
                metadata:
                  tags: python
                """);
        assertThat(vs).extracting(Violation::pointer, Violation::message).containsExactly(
                tuple("/min_cores", "must be an integer, not the text \"2\""),
                tuple("/environment/DEBUG", "must be a string, not the integer 1; quote it (\"1\") if you mean the text"),
                tuple("/environment/VERBOSE", "must be a string, not the boolean true; quote it (\"true\") if you mean the text"),
                tuple("/ports", "must be a list, not the integer 8080"),
                tuple("/metadata/tags", "must be a list, not the text \"python\""));
    }

    @Test
    void parse_uniqueScriptAndShareNamesAndGuestPaths() {
        List<Violation> vs = violations(MINIMAL + """
                scripts:
                  - {name: one, command: a}
                  - {name: one, command: b}
                shared_folders:
                  - {name: s, host_path: /a, guest_path: /mnt/x}
                  - {name: s, host_path: /b, guest_path: /mnt/x}
                """);
        assertThat(vs).extracting(Violation::pointer, Violation::line, Violation::message).containsExactly(
                tuple("/scripts/1/name", 6, "script name \"one\" is used more than once (first on line 5)"),
                tuple("/shared_folders/1/name", 9, "share name \"s\" is used more than once (first on line 8)"),
                tuple("/shared_folders/1/guest_path", 9, "guest path \"/mnt/x\" is used more than once (first on line 8)"));
    }

    @Test
    void parse_timeouts_secondsOrDurationStrings() throws Exception {
        TemplateDefinition d = parse(MINIMAL + """
                scripts:
                  - {name: a, command: x, timeout: 30}
                  - {name: b, command: x, timeout: "10m"}
                  - {name: c, command: x, timeout: 1h30m}
                  - {name: d, command: x}
                """);
        assertThat(d.scripts()).extracting(Script::timeout).containsExactly(
                Duration.ofSeconds(30), Duration.ofMinutes(10), Duration.ofMinutes(90), null);

        assertThat(violations(MINIMAL + """
                scripts:
                  - {name: a, command: x, timeout: 25h}
                  - {name: b, command: x, timeout: 86401}
                  - {name: c, command: x, timeout: 10 minutes}
                """)).extracting(Violation::pointer).containsExactly(
                "/scripts/0/timeout", "/scripts/1/timeout", "/scripts/2/timeout");
    }

    @Test
    void parse_absentOptionalFields_areEmptyZeroOrNull() throws Exception {
        TemplateDefinition d = parse(MINIMAL);
        assertThat(d.description()).isNull();
        assertThat(d.author()).isNull();
        assertThat(d.minRamMb()).isZero();
        assertThat(d.minDiskMb()).isZero();
        assertThat(d.minCores()).isZero();
        assertThat(d.packages()).isEmpty();
        assertThat(d.scripts()).isEmpty();
        assertThat(d.environment()).isEmpty();
        assertThat(d.ports()).isEmpty();
        assertThat(d.sharedFolders()).isEmpty();
        assertThat(d.metadata().tags()).isEmpty();
        assertThat(d.metadata().license()).isNull();
        assertThat(d.extensions()).isEmpty();
    }

    @Test
    void parse_otherPackageManagers_andReadOnlyShares() throws Exception {
        TemplateDefinition d = parse(MINIMAL + """
                packages:
                  npm: ["typescript@5.4", "eslint"]
                  python: ["requests[security]>=2.31", "numpy==1.26.4"]
                shared_folders:
                  - {name: data, host_path: /srv/data, guest_path: /data, read_only: true}
                """);
        assertThat(d.packages("npm")).containsExactly("typescript@5.4", "eslint");
        assertThat(d.packages("python")).containsExactly("requests[security]>=2.31", "numpy==1.26.4");
        assertThat(d.packages("system")).isEmpty();
        assertThat(d.sharedFolders().get(0).readOnly()).isTrue();
    }

    @Test
    void parse_packageGroupsKeepDocumentOrderWithManyGroups() throws Exception {
        TemplateDefinition d = parse(MINIMAL + """
                packages:
                  zeta: [a]
                  pip: ["requests>=2,<3"]
                  system: [git]
                  alpha: [b]
                  npm: ["@types/node@^20", "left-pad"]
                  mid: [c]
                  beta: [d]
                  gamma: [e]
                  delta: [f]
                """);
        // more than a few keys: a hash map would lose the order the provisioner installs the groups in
        assertThat(d.packages().keySet()).containsExactly("zeta", "pip", "system", "alpha", "npm", "mid", "beta",
                "gamma", "delta");
        assertThat(d.packages("npm")).containsExactly("@types/node@^20", "left-pad");
    }

    @Test
    void parse_packageNamesCannotBeOptionsOrShell() {
        assertThat(violations(MINIMAL + """
                packages:
                  system: ["--allow-unauthenticated", "git; rm -rf /", "curl", "@-x", "$(id)"]
                """)).extracting(Violation::pointer).containsExactly("/packages/system/0", "/packages/system/1",
                "/packages/system/3", "/packages/system/4");
    }

    @Test
    void parse_keyWithSlash_isEscapedInThePointer() {
        List<Violation> vs = violations(MINIMAL + "environment:\n  \"A/B~C\": x\n");
        assertThat(vs).extracting(Violation::pointer, Violation::line, Violation::column)
                .containsExactly(tuple("/environment/A~1B~0C", 5, 3));
    }

    @Test
    void parse_extensions_topLevelKeptNestedAllowed() throws Exception {
        TemplateDefinition d = parse(MINIMAL + """
                x-ide:
                  theme: dark
                  plugins: [a, b]
                  enabled: no
                scripts:
                  - {name: a, command: b, x-note: ignored}
                metadata:
                  x-rating: 5
                """);
        assertThat(d.extensions()).containsOnlyKeys("x-ide");
        @SuppressWarnings("unchecked")
        Map<String, Object> ide = (Map<String, Object>) d.extensions().get("x-ide");
        assertThat(ide).containsExactly(Map.entry("theme", "dark"), Map.entry("plugins", List.of("a", "b")),
                Map.entry("enabled", "no"));
        assertThatThrownBy(() -> ide.put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void parse_trailingNewlineCannotSneakPastAnchoredPatterns() {
        List<Violation> vs = violations("""
                name: "python-dev\\n"
                version: "1.0.0\\n"
                base_image: x
                scripts:
                  - {name: a, command: b, run_as: "root\\n", working_dir: "/tmp\\n"}
                """);
        assertThat(vs).extracting(Violation::pointer).containsExactly(
                "/name", "/version", "/scripts/0/run_as", "/scripts/0/working_dir");
    }

    @Test
    void parse_editorSchemaModelineIsJustAComment() throws Exception {
        TemplateDefinition d = parse("# yaml-language-server: $schema=../../schema/template-definition.schema.json\n"
                + MINIMAL);
        assertThat(d.name()).isEqualTo("minimal");
        assertThat(d.extensions()).isEmpty();
    }

    @Test
    void parse_acceptsUtf8ByteOrderMarkAndCrLfLineEnds() throws Exception {
        byte[] body = (MINIMAL.replace("\n", "\r\n") + "min_cores: x\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] withBom = new byte[body.length + 3];
        withBom[0] = (byte) 0xEF;
        withBom[1] = (byte) 0xBB;
        withBom[2] = (byte) 0xBF;
        System.arraycopy(body, 0, withBom, 3, body.length);
        assertThatThrownBy(() -> loader.parse("w.yaml", withBom)).isInstanceOfSatisfying(
                TemplateValidationException.class, e -> assertThat(e.violations())
                        .extracting(Violation::line, Violation::column, Violation::pointer)
                        .containsExactly(tuple(4, 12, "/min_cores")));
        assertThat(loader.parse("w.yaml", MINIMAL.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8)).name())
                .isEqualTo("minimal");
    }

    @Test
    void parse_isThreadSafe() throws Exception {
        byte[] seed = Files.readAllBytes(seedFolder().resolve(TemplateLoader.FILE_NAME));
        TemplateDefinition expected = loader.parse("seed", seed);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<TemplateDefinition>> results = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                results.add(pool.submit(() -> loader.parse("seed", seed)));
            }
            for (Future<TemplateDefinition> f : results) {
                assertThat(f.get()).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void schema_shippedResourceAndPublishedCopyAreIdentical() throws Exception {
        byte[] shipped;
        try (var in = TemplateLoader.class.getResourceAsStream(SchemaValidator.RESOURCE)) {
            assertThat(in).as("schema is on the classpath").isNotNull();
            shipped = in.readAllBytes();
        }
        Path published = findRepoRoot().resolve("schema/template-definition.schema.json");
        assertThat(Files.readAllBytes(published))
                .as("schema/ (for editors) must be a byte-identical copy of the shipped resource")
                .isEqualTo(shipped);
    }

    static Path findRepoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("schema"))) {
            p = p.getParent();
        }
        assertThat(p).as("repository root with schema/ above " + Path.of("").toAbsolutePath()).isNotNull();
        return p;
    }

    // ---------------------------------------------------------------- threats.md 4.6, YML-01 .. YML-14

    @Test
    void load_rejectsBillionLaughs_YML01() {
        StringBuilder y = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (char c = 'b'; c <= 'i'; c++) {
            char p = (char) (c - 1);
            y.append(c).append(": &").append(c).append(" [*").append(p).append(",*").append(p).append(",*").append(p)
                    .append(",*").append(p).append(",*").append(p).append(",*").append(p).append(",*").append(p)
                    .append(",*").append(p).append(",*").append(p).append("]\n");
        }
        List<Violation> vs = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> violations(y.toString()));
        assertThat(messages(vs)).anyMatch(m -> m.startsWith("YAML anchors (&a)"))
                .anyMatch(m -> m.startsWith("YAML aliases (*a)"));
        assertThat(vs.get(0)).extracting(Violation::line, Violation::column, Violation::pointer)
                .containsExactly(1, 4, "/a");
    }

    @Test
    void load_rejectsRecursiveAliasAndAliasKey_YML02() {
        assertThat(messages(violations("a: &a [*a]\n"))).contains("YAML anchors (&a) are not allowed",
                "YAML aliases (*a) are not allowed");
        assertThat(messages(violations("x: &k name\n*k : python-dev\n"))).contains("YAML aliases (*k) are not allowed");
    }

    @Test
    void load_rejectsDeepNestingQuickly_YML03() {
        String flow = "a: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n";
        String flowMaps = "a: " + "{b: ".repeat(10_000) + "1" + "}".repeat(10_000) + "\n";
        for (String y : List.of(flow, flowMaps)) {
            List<Violation> vs = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> violations(y));
            assertThat(vs).singleElement().extracting(Violation::message)
                    .isEqualTo("nesting is deeper than " + TemplateLoader.MAX_DEPTH + " levels");
        }
        StringBuilder block = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            block.append("  ".repeat(i)).append("k").append(":\n");
        }
        block.append("  ".repeat(40)).append("v\n");
        assertThat(messages(violations(block.toString()))).containsExactly("nesting is deeper than 32 levels");
    }

    @Test
    void load_rejectsDocumentOverSizeCap_YML04(@TempDir Path dir) throws Exception {
        String big = MINIMAL + "description: \"" + "x".repeat(TemplateLoader.MAX_BYTES) + "\"\n";
        assertThat(violations(big)).singleElement().extracting(Violation::message)
                .isEqualTo("the file is larger than 262144 bytes");
        Path file = dir.resolve(TemplateLoader.FILE_NAME);
        Files.writeString(file, big);
        assertThatThrownBy(() -> loader.load(file)).isInstanceOf(TemplateValidationException.class)
                .hasMessageContaining("larger than 262144 bytes");

        String justUnder = MINIMAL + "x-pad: \"" + "y".repeat(60_000) + "\"\n";
        assertThat(justUnder.length()).isLessThan(TemplateLoader.MAX_BYTES);
        assertThat(messages(violationsOrEmpty(justUnder))).isEmpty();
    }

    private List<Violation> violationsOrEmpty(String yaml) {
        try {
            parse(yaml);
            return List.of();
        } catch (TemplateValidationException e) {
            return e.violations();
        }
    }

    @Test
    void load_rejectsDuplicateKeys_YML05() {
        List<Violation> vs = violations("""
                name: python-dev
                version: "1.0.0"
                base_image: x
                scripts:
                  - name: a
                    command: b
                    command: c
                scripts: []
                """);
        assertThat(vs).extracting(Violation::line, Violation::column, Violation::pointer, Violation::message)
                .containsExactly(
                        tuple(7, 5, "/scripts/0/command", "duplicate key \"command\" (first defined on line 6)"),
                        tuple(8, 1, "/scripts", "duplicate key \"scripts\" (first defined on line 4)"));
    }

    @Test
    void load_rejectsGlobalTags_YML06() {
        List<Violation> vs = violations("""
                name: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL ["http://127.0.0.1/"]]]]
                version: !!str 1.0.0
                base_image: !custom x
                """);
        assertThat(messages(vs)).allMatch(m -> m.startsWith("YAML tags (")).hasSize(5);
        assertThat(vs.get(0)).extracting(Violation::line, Violation::column).containsExactly(1, 7);
    }

    @Test
    void load_rejectsMergeKeys_YML07() {
        List<Violation> vs = violations("""
                base: &base {command: x}
                scripts:
                  - <<: *base
                    name: a
                """);
        assertThat(messages(vs)).contains("YAML merge keys (<<) are not allowed; write the fields out");
        assertThat(vs).extracting(Violation::pointer).contains("/scripts/0/<<");
    }

    @Test
    void load_rejectsMultiDocumentStream_YML08() {
        List<Violation> vs = violations(MINIMAL + "---\n" + MINIMAL + "---\n" + MINIMAL);
        assertThat(vs).singleElement().satisfies(v -> {
            assertThat(v.line()).isEqualTo(4);
            assertThat(v.message()).startsWith("only one YAML document is allowed");
        });
        assertThat(violationsOrEmpty("---\n" + MINIMAL)).as("one explicit document is fine").isEmpty();
        assertThat(violationsOrEmpty(MINIMAL + "...\n")).as("an explicit document end is fine").isEmpty();
    }

    @Test
    void load_doesNotCoerceBooleanLikeWordsOrOctal_YML09() throws Exception {
        TemplateDefinition d = parse(MINIMAL + """
                environment:
                  ENABLED: "no"
                  COUNTRY: NO
                  MODE: "0755"
                  ANSWER: yes
                metadata:
                  license: NO
                scripts:
                  - {name: a, command: b, run_as: no}
                x-enabled: off
                """);
        assertThat(d.environment()).containsExactly(Map.entry("ENABLED", "no"), Map.entry("COUNTRY", "NO"),
                Map.entry("MODE", "0755"), Map.entry("ANSWER", "yes"));
        assertThat(d.metadata().license()).isEqualTo("NO");
        assertThat(d.scripts().get(0).runAs()).isEqualTo("no");
        assertThat(d.extensions()).containsEntry("x-enabled", "off");

        List<Violation> vs = violations(MINIMAL + """
                min_cores: 0755
                min_ram: 0x800
                min_disk: 20_000
                shared_folders:
                  - {name: a, host_path: /a, guest_path: /a, read_only: no}
                """);
        assertThat(vs).extracting(Violation::pointer, Violation::message).containsExactly(
                tuple("/min_cores", "write integers in plain decimal without leading zeros, signs or separators "
                        + "(found 0755); quote the value if it is text"),
                tuple("/min_ram", "write integers in plain decimal without leading zeros, signs or separators "
                        + "(found 0x800); quote the value if it is text"),
                tuple("/min_disk", "write integers in plain decimal without leading zeros, signs or separators "
                        + "(found 20_000); quote the value if it is text"),
                tuple("/shared_folders/0/read_only", "must be true or false, not the text \"no\"; "
                        + "YAML words like yes/no/on/off are not booleans here"));
    }

    @Test
    void load_rejectsUnknownFieldsExceptExtensions_YML10() {
        List<Violation> vs = violations(MINIMAL + """
                scirpt: []
                shared_folders:
                  - {name: a, host_path: /a, guest_path: /a, readonly: true}
                metadata:
                  licence: MIT
                """);
        assertThat(vs).extracting(Violation::pointer, Violation::line, Violation::column).containsExactly(
                tuple("/scirpt", 4, 1), tuple("/shared_folders/0/readonly", 6, 46), tuple("/metadata/licence", 8, 3));
        assertThat(vs.get(0).message()).contains("did you mean 'scripts'?");
        assertThat(vs.get(1).message()).contains("did you mean 'read_only'?");
        assertThat(vs.get(2).message()).contains("did you mean 'license'?");
        assertThat(violationsOrEmpty(MINIMAL + "x-scirpt: []\n")).isEmpty();
    }

    @Test
    void load_rejectsHugeNumbersAndStrings_YML11() {
        List<Violation> million = violations(MINIMAL + "min_ram: " + "9".repeat(1_000_000) + "\n");
        assertThat(messages(million)).containsExactly("the file is larger than 262144 bytes");

        List<Violation> longNumber = violations(MINIMAL + "min_ram: " + "9".repeat(1_000) + "\n");
        assertThat(longNumber).singleElement().satisfies(v -> {
            assertThat(v.message()).startsWith("a value exceeds the size limits for template documents");
            assertThat(v.line()).isEqualTo(4);
        });

        List<Violation> longString = violations(MINIMAL + "description: \"" + "x".repeat(100_000) + "\"\n");
        assertThat(longString).singleElement().extracting(Violation::pointer, Violation::message)
                .containsExactly("/description", "a value is longer than 65536 characters");

        String fiftyMb = "description: " + "x".repeat(50 * 1024 * 1024);
        assertThat(messages(violations(fiftyMb))).containsExactly("the file is larger than 262144 bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {".", "..", "a/b", "CON", "-a", "a_b", "", "\\u202ename"})
    void load_rejectsUnsafeNames_YML12(String name) {
        List<Violation> vs = violations("name: \"" + name + "\"\nversion: \"1.0.0\"\nbase_image: x\n");
        assertThat(vs).extracting(Violation::pointer).containsExactly("/name");
    }

    @Test
    void load_rejectsOverlongNameAndEscapeInVersion_YML12() {
        String longName = "a".repeat(300);
        assertThat(violations("name: " + longName + "\nversion: \"1.0.0\"\nbase_image: x\n"))
                .extracting(Violation::pointer).containsExactly("/name");
        assertThat(violationsOrEmpty("name: " + "a".repeat(63) + "\nversion: \"1.0.0\"\nbase_image: x\n")).isEmpty();

        List<Violation> vs = violations("name: ok\nversion: \"1.0.0\\e[31m\"\nbase_image: x\n");
        assertThat(vs).singleElement().satisfies(v -> {
            assertThat(v.pointer()).isEqualTo("/version");
            assertThat(v.message()).contains("\\u001b[31m").doesNotContain("\u001b");
        });
        for (String bad : List.of("1.0", "v1.0.0", "01.0.0", "1.0.0-", "1.0.0+", "1.0.0-01", " 1.0.0")) {
            assertThat(violations("name: ok\nversion: \"" + bad + "\"\nbase_image: x\n"))
                    .as(bad).extracting(Violation::pointer).containsExactly("/version");
        }
        assertThat(violations("name: ok\nversion: 1.0\nbase_image: x\n")).extracting(Violation::message)
                .containsExactly("must be a string, not the number 1.0; quote it (\"1.0\") if you mean the text");
    }

    @Test
    void load_keepsBidiAndControlCharactersButEscapesThemInMessages_YML13() throws Exception {
        TemplateDefinition d = parse(MINIMAL + "description: \"safe \\u202Etxt.exe \\e[2J\"\n");
        assertThat(d.description()).isEqualTo("safe \u202Etxt.exe \u001b[2J");
        assertThat(Printable.of(d.description())).isEqualTo("safe \\u202etxt.exe \\u001b[2J");

        TemplateValidationException e = (TemplateValidationException) catchThrowable(
                "name: \"evil\\u202E\\e[31m\"\nversion: \"1.0.0\"\nbase_image: x\nauthor: \"\\u2066x\"\n"
                        + "\"key\\u202E\": 1\n");
        assertThat(e.getMessage()).doesNotContain("\u202E", "\u001b", "\u2066").contains("\\u202e", "\\u001b");
        assertThat(e.violations()).extracting(Violation::pointer).containsExactly("/name", "/key\\u202e");
    }

    private Throwable catchThrowable(String yaml) {
        try {
            parse(yaml);
            throw new AssertionError("expected a refusal");
        } catch (TemplateValidationException e) {
            return e;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n", "   \n\n", "# just a comment\n", "null\n", "~\n", "---\n", "--- ~\n...\n"})
    void load_emptyOrNullDocument_isTypedError_YML14(String yaml) {
        assertThat(violations(yaml)).singleElement().satisfies(v -> {
            assertThat(v.pointer()).isEmpty();
            assertThat(v.message()).containsAnyOf("the file is empty", "the document is empty", "must be a mapping");
        });
    }

    @Test
    void load_missingRequiredFieldsAllReported_YML14() {
        assertThat(violations("description: nothing else\n")).extracting(Violation::message).containsExactlyInAnyOrder(
                "missing required field 'name'", "missing required field 'version'",
                "missing required field 'base_image'");
        assertThat(violations("name: a\nversion: \"1.0.0\"\nbase_image:\n")).extracting(Violation::pointer)
                .containsExactly("/base_image");
        assertThat(violations("- name: a\n")).extracting(Violation::message)
                .containsExactly("the document must be a mapping of template fields (name, version, base_image, ...), not a list");
        assertThat(violations("just text\n")).extracting(Violation::pointer).containsExactly("");
    }

    @Test
    void load_rejectsNonUtf8AndSyntaxErrors() {
        byte[] latin1 = "name: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> loader.parse("l.yaml", latin1)).isInstanceOfSatisfying(
                TemplateValidationException.class, e -> assertThat(e.violations()).singleElement()
                        .extracting(Violation::message).isEqualTo("the file is not valid UTF-8 text"));
        List<Violation> syntax = violations("name: [unclosed\nversion: x\n");
        assertThat(syntax).singleElement().satisfies(v -> {
            assertThat(v.message()).startsWith("YAML syntax error: ");
            assertThat(v.line()).isGreaterThan(0);
        });
        assertThat(violations("name: a\n  bad: indent\n")).singleElement().extracting(Violation::message)
                .asString().startsWith("YAML syntax error: ");
    }
}
