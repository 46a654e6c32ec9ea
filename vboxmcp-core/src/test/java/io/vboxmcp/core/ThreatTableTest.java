package io.vboxmcp.core;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/threats.md against the test sources of every module: a test name that cites a threat row (suffix
 * {@code _ART03}, or the older prefix {@code git07_}) must find that row in the table and be listed in it, and every
 * test the table names must exist.
 */
class ThreatTableTest {
    private static final String CATEGORIES = "IDX|KEY|SIG|ART|ARC|YML|GIT|REG|EXE|RES|LCY|AUD";
    private static final Pattern SUFFIX = Pattern.compile("((?:_(?:" + CATEGORIES + ")\\d{2})+)$");
    private static final Pattern PREFIX = Pattern.compile("^(" + CATEGORIES.toLowerCase() + ")(\\d{2})_");
    private static final Pattern METHOD = Pattern.compile("\\bvoid\\s+([A-Za-z0-9_]+)\\s*\\(");
    private static final Pattern ROW = Pattern.compile("^\\| ([A-Z]{3}-\\d{2}) \\|");
    private static final Pattern TEST_REF = Pattern.compile("`([A-Z][A-Za-z0-9]*)#([A-Za-z0-9_]+)`");

    private static Path root;
    /** row id → the Tests cell's references */
    private static final Map<String, Set<String>> TABLE = new LinkedHashMap<>();
    /** "Class#method" of every test method in the repository */
    private static final Set<String> METHODS = new TreeSet<>();
    /** row id → tests whose names cite it */
    private static final Map<String, Set<String>> CITED = new TreeMap<>();

    @BeforeAll
    static void read() throws IOException {
        root = Path.of("").toAbsolutePath();
        while (root != null && !Files.isRegularFile(root.resolve("docs/threats.md"))) {
            root = root.getParent();
        }
        assertThat(root).as("docs/threats.md above " + Path.of("").toAbsolutePath()).isNotNull();
        for (String line : Files.readAllLines(root.resolve("docs/threats.md"), StandardCharsets.UTF_8)) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                String[] cells = line.split("\\|", -1);
                assertThat(cells.length).as("row " + m.group(1) + " has 6 cells").isEqualTo(8);
                Set<String> refs = new TreeSet<>();
                Matcher r = TEST_REF.matcher(cells[5]);
                while (r.find()) {
                    refs.add(r.group(1) + "#" + r.group(2));
                }
                assertThat(TABLE.put(m.group(1), refs)).as("row " + m.group(1) + " appears once").isNull();
            }
        }
        List<Path> sources;
        try (Stream<Path> s = Files.walk(root)) {
            sources = s.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> p.toString().replace('\\', '/').contains("/src/test/java/"))
                    .filter(p -> !p.toString().contains("/target/") && !p.toString().contains("/.git/"))
                    .toList();
        }
        for (Path f : sources) {
            String cls = f.getFileName().toString().replaceFirst("\\.java$", "");
            Matcher m = METHOD.matcher(Files.readString(f, StandardCharsets.UTF_8));
            while (m.find()) {
                String name = m.group(1);
                METHODS.add(cls + "#" + name);
                for (String id : idsIn(name)) {
                    CITED.computeIfAbsent(id, k -> new TreeSet<>()).add(cls + "#" + name);
                }
            }
        }
    }

    static List<String> idsIn(String method) {
        List<String> ids = new ArrayList<>();
        Matcher s = SUFFIX.matcher(method);
        if (s.find()) {
            for (String part : s.group(1).substring(1).split("_")) {
                ids.add(part.substring(0, 3) + "-" + part.substring(3));
            }
        }
        Matcher p = PREFIX.matcher(method);
        if (p.find()) {
            ids.add(p.group(1).toUpperCase() + "-" + p.group(2));
        }
        return ids;
    }

    @Test
    void idsIn_readsSuffixesAndPrefixes() {
        assertThat(idsIn("verify_refusesUnsignedRemote_SIG01_ART11")).containsExactly("SIG-01", "ART-11");
        assertThat(idsIn("git07_tagMoved_isRefused")).containsExactly("GIT-07");
        assertThat(idsIn("resolve_downloadsVerifiesAndCachesByDigest")).isEmpty();
    }

    @Test
    void table_holdsEveryRowOfTheThreatModel() {
        assertThat(TABLE).hasSize(156);
        assertThat(TABLE.keySet()).filteredOn(id -> id.startsWith("AUD-")).hasSize(8);
    }

    @Test
    void everyRowCitedByATestName_isInTheTable() {
        assertThat(CITED.keySet()).as("rows cited by test names but missing from docs/threats.md")
                .allMatch(TABLE::containsKey);
    }

    @Test
    void everyTestTheTableNames_exists() {
        List<String> missing = new ArrayList<>();
        TABLE.forEach((id, refs) -> refs.stream().filter(r -> !METHODS.contains(r)).forEach(r -> missing.add(id + ": " + r)));
        assertThat(missing).as("tests named in docs/threats.md that do not exist").isEmpty();
    }

    @Test
    void everyTestCitingARow_isListedInThatRow() {
        List<String> unlisted = new ArrayList<>();
        CITED.forEach((id, tests) -> tests.stream().filter(t -> !TABLE.getOrDefault(id, Set.of()).contains(t))
                .forEach(t -> unlisted.add(id + ": " + t)));
        assertThat(unlisted).as("tests named after a row but not listed in docs/threats.md (add them)").isEmpty();
    }
}
