package io.vboxmcp.cli.internal;

import io.vboxmcp.cli.internal.ScenarioRunner.CheckResult;
import io.vboxmcp.cli.internal.ScenarioRunner.Result;

import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The results of a {@code vboxmcp test} run as JUnit XML (the de-facto format of CI systems: Jenkins, GitLab,
 * GitHub reporters): one {@code testsuite} per template, one {@code testcase} per scenario whose failure message says
 * which expectation was missed (naming the failing check), with the checks' output, the provisioning output and the
 * console log, plus each of those as files beside it.
 */
final class JUnitReport {
    private JUnitReport() {
    }

    /** @return the XML file written into {@code dir} */
    static Path write(Path dir, String template, List<Result> results) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("TEST-vboxmcp-" + template.replaceAll("[^A-Za-z0-9._-]", "_") + ".xml");
        long failures = results.stream().filter(r -> !r.met()).count();
        double seconds = results.stream().mapToLong(Result::millis).sum() / 1000.0;
        try (OutputStream out = Files.newOutputStream(file)) {
            XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
            x.writeStartElement("testsuite");
            x.writeAttribute("name", template);
            x.writeAttribute("tests", String.valueOf(results.size()));
            x.writeAttribute("failures", String.valueOf(failures));
            x.writeAttribute("errors", "0");
            x.writeAttribute("skipped", "0");
            x.writeAttribute("time", secs(seconds));
            for (Result r : results) {
                x.writeCharacters("\n  ");
                x.writeStartElement("testcase");
                x.writeAttribute("classname", template);
                x.writeAttribute("name", r.scenario().name());
                x.writeAttribute("time", secs(r.millis() / 1000.0));
                if (!r.met()) {
                    x.writeStartElement("failure");
                    x.writeAttribute("message", clean(r.message()));
                    x.writeAttribute("type", failedCheck(r) != null ? "check-failed" : "expectation-missed");
                    x.writeCharacters(clean("expected: " + r.scenario().expect().describe() + "\nactual: " + r.message()));
                    x.writeEndElement();
                }
                x.writeStartElement("system-out");
                x.writeCharacters(clean(output(r)));
                x.writeEndElement();
                x.writeEndElement();
                files(dir.resolve(r.scenario().name()), r);
            }
            x.writeCharacters("\n");
            x.writeEndElement();
            x.writeEndDocument();
            x.close();
        } catch (XMLStreamException e) {
            throw new IOException("could not write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    /** @return the check whose failure missed the expectation, null if none did */
    static String failedCheck(Result r) {
        return r.checks().stream().filter(c -> !c.passed()
                && !c.name().equals(r.scenario().expect().check())).map(CheckResult::name).findFirst()
                .orElse(null);
    }

    private static void files(Path dir, Result r) throws IOException {
        Files.createDirectories(dir);
        for (CheckResult c : r.checks()) {
            Files.writeString(dir.resolve(c.name() + ".log"), c.output(), StandardCharsets.UTF_8);
        }
        Files.writeString(dir.resolve("provision.log"), r.provisioning(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("console.log"), r.console(), StandardCharsets.UTF_8);
    }

    private static String output(Result r) {
        StringBuilder b = new StringBuilder();
        b.append("expected: ").append(r.scenario().expect().describe()).append('\n')
                .append("result: ").append(r.message()).append('\n');
        for (CheckResult c : r.checks()) {
            b.append("--- check ").append(c.name()).append(" (").append(c.timedOut() ? "timed out" : "exit " + c.exitCode())
                    .append(", ").append(secs(c.millis() / 1000.0)).append(" s)\n").append(c.output()).append('\n');
        }
        if (!r.provisioning().isEmpty()) {
            b.append("--- provisioning output (last lines)\n").append(r.provisioning()).append('\n');
        }
        if (!r.console().isEmpty()) {
            b.append("--- console (last lines)\n").append(r.console()).append('\n');
        }
        return b.toString();
    }

    private static String secs(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    /** XML 1.0 cannot carry most control characters (guest output has them): they become U+FFFD. */
    static String clean(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
                || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000 ? c : 0xFFFD));
        return b.toString();
    }
}
