package io.vboxmcp;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The api's published promises: every public type says since which release it exists (users and the
 * compatibility check read it), and the module descriptor exports every package, since all of them are API.
 */
class PublicApiDocsTest {
    static final Path SOURCES = Path.of("src/main/java");
    static final Pattern TOP_TYPE = Pattern.compile("(?m)^public (?:final |abstract |sealed )*(?:class|interface|record|enum|@interface) ");

    @Test
    void everyPublicType_saysSinceWhichRelease() throws IOException {
        List<String> missing;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            missing = files.filter(p -> p.toString().endsWith(".java") && !p.endsWith("module-info.java"))
                    .filter(p -> {
                        String s = read(p);
                        Matcher m = TOP_TYPE.matcher(s);
                        return m.find() && !s.substring(0, m.start()).contains("@since ");
                    })
                    .map(p -> SOURCES.relativize(p).toString()).sorted().toList();
        }
        assertThat(missing).as("public types without @since (add `@since <the next release>` to the type's Javadoc)")
                .isEmpty();
    }

    @Test
    void moduleDescriptor_exportsEveryPackage() throws IOException {
        String descriptor = read(SOURCES.resolve("module-info.java"));
        List<String> packages;
        try (Stream<Path> files = Files.walk(SOURCES)) {
            packages = files.filter(p -> p.toString().endsWith(".java") && !p.endsWith("module-info.java"))
                    .map(p -> SOURCES.relativize(p.getParent()).toString().replace('/', '.'))
                    .distinct().sorted().toList();
        }
        assertThat(packages).isNotEmpty().allSatisfy(pkg -> assertThat(descriptor).contains("exports " + pkg + ";"));
        assertThat(getClass().getModule().isNamed()).as("tests run on the module path, as JPMS users would").isTrue();
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
