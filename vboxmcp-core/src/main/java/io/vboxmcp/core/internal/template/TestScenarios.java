package io.vboxmcp.core.internal.template;

import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Violation;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.template.rules.internal.Printable;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A template's tests: the checks {@code tests/*.sh} and the scenarios of {@code tests/scenarios.yaml}, read with the
 * same strict YAML rules as the definition and validated against {@code schema/template-tests.schema.json}. Without
 * a scenarios file a template with checks has one scenario, {@code default}, expected to pass.
 */
public final class TestScenarios {
    /** The tests folder inside a template folder (and, after provisioning, inside the guest's template folder). */
    public static final String DIR = "tests";
    public static final String FILE_NAME = "scenarios.yaml";
    /** Where the checks are in the guest: provisioning uploads the template's files to /var/lib/vboxmcp/template. */
    public static final String GUEST_DIR = "/var/lib/vboxmcp/template/" + DIR;
    static final String SCHEMA = "/io/vboxmcp/core/template-tests.schema.json";
    private static final int MAX_CHECKS = 256;

    private static final class Holder {
        static final SchemaValidator SCHEMA_VALIDATOR = SchemaValidator.fromResource(SCHEMA);
    }

    private TestScenarios() {
    }

    /** What a scenario must end with. */
    public enum Outcome { PASS, CREATE_FAILS, CHECK_FAILS }

    /**
     * @param outcome never null
     * @param step    the create step that must fail ({@link Outcome#CREATE_FAILS}), else null
     * @param error   the error code it must fail with, null for any
     * @param check   the check that must fail ({@link Outcome#CHECK_FAILS}), else null
     */
    public record Expectation(Outcome outcome, String step, String error, String check) {
        static final Expectation PASS = new Expectation(Outcome.PASS, null, null, null);

        /** @return the expectation in words, for summaries */
        public String describe() {
            return switch (outcome) {
                case PASS -> "create and every check pass";
                case CREATE_FAILS -> "create fails at '" + step + "'" + (error == null ? "" : " with " + error);
                case CHECK_FAILS -> "check " + check + " fails, the others pass";
            };
        }
    }

    /**
     * One variation of a create and its expected outcome.
     *
     * @param memoryMb      null for the template's minimum
     * @param environment   exported to every check
     * @param sharedFolders share name to a folder inside the template folder (relative, normalized): the test runner shares
 *                      that folder of its throw-away copy of the template, so a guest never writes to the original
     * @param restricted    guest networking restricted to {@code mirrors}
     * @param mirrors       {@code HOST:PORT} services a restricted guest may reach
     * @param checks        check file names, in run order
     */
    public record Scenario(String name, String description, Integer memoryMb, Integer cpus, Integer diskSizeMb,
                           Map<String, String> environment, Map<String, String> sharedFolders, boolean restricted,
                           List<String> mirrors, List<String> checks, Expectation expect) {
        public Scenario {
            environment = Map.copyOf(environment);
            sharedFolders = Map.copyOf(sharedFolders);
            mirrors = List.copyOf(mirrors);
            checks = List.copyOf(checks);
        }
    }

    /** @return the names of the {@code tests/*.sh} files, sorted; empty if there is no tests folder */
    public static List<String> checks(Path templateDir) throws VboxmcpException {
        Path dir = templateDir.resolve(DIR);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.filter(RegularFiles::isRegular).map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".sh")).sorted().toList();
            if (names.size() > MAX_CHECKS) {
                throw invalid(dir.toString(), "more than " + MAX_CHECKS + " checks");
            }
            return names;
        } catch (IOException e) {
            throw invalid(dir.toString(), "cannot list the tests folder: " + Printable.of(String.valueOf(e.getMessage()), 200));
        }
    }

    /**
     * @param templateDir a template folder, never null
     * @return its scenarios, in file order; one {@code default} scenario expected to pass if it has no scenarios file
     * @throws TemplateValidationException listing every problem of the scenarios file with line and column, or a
     *                                     check named that does not exist
     */
    public static List<Scenario> load(Path templateDir) throws VboxmcpException {
        List<String> checks = checks(templateDir);
        Path file = templateDir.resolve(DIR).resolve(FILE_NAME);
        String display = file.toString();
        String kind = RegularFiles.kind(file);
        if ("absent".equals(kind)) {
            return List.of(new Scenario("default", "", null, null, null, Map.of(), Map.of(), true, List.of(), checks,
                    Expectation.PASS));
        }
        if (kind != null) {
            throw invalid(display, "not a regular file (it is " + kind + ")");
        }
        byte[] bytes;
        try (InputStream in = RegularFiles.open(file)) {
            bytes = in.readNBytes(TemplateLoader.MAX_BYTES + 1);
        } catch (IOException e) {
            throw invalid(display, "cannot read the file: " + Printable.of(String.valueOf(e.getMessage()), 200));
        }
        List<Violation> problems = new ArrayList<>();
        LocatedTree tree = TemplateLoader.standard().strictTree(display, bytes, problems);
        Holder.SCHEMA_VALIDATOR.validate(display, tree, problems);
        if (!problems.isEmpty()) {
            throw TemplateLoader.invalid(problems);
        }
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> list = (List<Map<String, Object>>) ((Map<String, Object>) tree.root).get("scenarios");
        List<Scenario> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            Map<String, Object> s = list.get(i);
            String pointer = "/scenarios/" + i;
            String name = (String) s.get("name");
            if (!names.add(name)) {
                problems.add(at(display, tree, pointer + "/name", "scenario '" + name + "' is named twice"));
            }
            List<String> run = s.containsKey("checks") ? strings(s.get("checks")) : checks;
            for (int c = 0; c < run.size(); c++) {
                if (!checks.contains(run.get(c))) {
                    problems.add(at(display, tree, pointer + "/checks/" + c, "no check tests/" + run.get(c)));
                }
            }
            Expectation expect = expectation(s.get("expect"));
            if (expect.check() != null && !run.contains(expect.check())) {
                problems.add(at(display, tree, pointer + "/expect/check", "check " + expect.check()
                        + " is not among the checks this scenario runs"));
            }
            Map<String, String> shares = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : stringMap(s.get("shared_folders")).entrySet()) {
                Path rel = Path.of(e.getValue()).normalize();
                if (rel.isAbsolute() || rel.startsWith("..") || rel.toString().isEmpty()) {
                    problems.add(at(display, tree, pointer + "/shared_folders/" + e.getKey(), "must be a folder "
                            + "inside the template folder (a relative path that does not leave it)"));
                } else {
                    shares.put(e.getKey(), rel.toString());
                }
            }
            out.add(new Scenario(name, (String) s.getOrDefault("description", ""), (Integer) s.get("memory"),
                    (Integer) s.get("cpus"), (Integer) s.get("disk_size"), stringMap(s.get("environment")), shares,
                    !"open".equals(s.get("network")), strings(s.get("mirrors")), run, expect));
        }
        if (!problems.isEmpty()) {
            throw TemplateLoader.invalid(problems);
        }
        return out;
    }

    private static Expectation expectation(Object o) {
        if (!(o instanceof Map<?, ?> m)) {
            return Expectation.PASS;
        }
        Outcome outcome = Outcome.valueOf(((String) m.get("outcome")).toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        return new Expectation(outcome, (String) m.get("step"), (String) m.get("error"), (String) m.get("check"));
    }

    private static Violation at(String file, LocatedTree tree, String pointer, String message) {
        Loc l = tree.valueAt(pointer);
        return new Violation(file, l.line(), l.column(), pointer, message);
    }

    private static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        if (o instanceof List<?> l) {
            l.forEach(x -> out.add((String) x));
        }
        return out;
    }

    private static Map<String, String> stringMap(Object o) {
        Map<String, String> out = new LinkedHashMap<>();
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put((String) k, (String) v));
        }
        return out;
    }

    private static TemplateValidationException invalid(String file, String message) {
        return TemplateLoader.single(file, message, null);
    }
}
