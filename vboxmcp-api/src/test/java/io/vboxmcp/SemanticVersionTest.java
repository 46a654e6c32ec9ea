package io.vboxmcp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SemanticVersionTest {
    /** The precedence example of semver.org, section 11, in ascending order. */
    private static final List<String> SEMVER_ORG_ORDER = List.of(
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0");

    private static SemanticVersion v(String s) throws VersionFormatException {
        return SemanticVersion.parse(s);
    }

    @Test
    void compareTo_followsTheSemverOrgPrecedenceTable() throws Exception {
        List<SemanticVersion> expected = new ArrayList<>();
        for (String s : SEMVER_ORG_ORDER) {
            expected.add(v(s));
        }
        for (int i = 0; i < expected.size(); i++) {
            for (int j = 0; j < expected.size(); j++) {
                assertThat(Integer.signum(expected.get(i).compareTo(expected.get(j))))
                        .as("%s vs %s", expected.get(i), expected.get(j)).isEqualTo(Integer.signum(Integer.compare(i, j)));
            }
        }
        List<SemanticVersion> shuffled = new ArrayList<>(expected);
        Collections.shuffle(shuffled, new Random(42));
        Collections.sort(shuffled);
        assertThat(shuffled).containsExactlyElementsOf(expected);
    }

    @Test
    void compareTo_numbersCompareNumericallyNotAsText() throws Exception {
        assertThat(v("1.10.0")).isGreaterThan(v("1.9.0"));
        assertThat(v("2.0.0")).isGreaterThan(v("1.99.99"));
        assertThat(v("1.0.10")).isGreaterThan(v("1.0.9"));
        assertThat(v("1.0.0-rc.10")).isGreaterThan(v("1.0.0-rc.9"));
        assertThat(v("1.0.0-100000000000000000000")).isGreaterThan(v("1.0.0-99999999999999999999"));
        assertThat(v("1.0.0-1")).as("numeric identifiers sort below alphanumeric").isLessThan(v("1.0.0-a"));
        assertThat(v("1.0.0-A")).as("alphanumeric identifiers compare in ASCII order").isLessThan(v("1.0.0-a"));
        assertThat(v("1.0.0-rc.1")).isLessThan(v("1.0.0-rc.1.0"));
    }

    @Test
    void buildMetadata_ignoredForPrecedenceButKeptForEquality() throws Exception {
        SemanticVersion a = v("1.0.0+build.1");
        SemanticVersion b = v("1.0.0+build.2");
        assertThat(a.compareTo(b)).isZero();
        assertThat(a).isNotEqualTo(b);
        assertThat(a.build()).containsExactly("build", "1");
        assertThat(v("1.0.0+x")).isEqualTo(v("1.0.0+x")).hasSameHashCodeAs(v("1.0.0+x"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0", "1.2.3", "10.20.30", "1.1.2-prerelease+meta", "1.0.0-alpha.beta.1",
            "1.0.0-0A.is.legal", "2.0.0-rc.1+build.123", "1.2.3----RC-SNAPSHOT.12.9.1--.12+788", "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
            "9223372036854775807.0.0"})
    void parse_acceptsValidVersions_andRoundTrips(String text) throws Exception {
        assertThat(SemanticVersion.isValid(text)).isTrue();
        assertThat(v(text).toString()).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3+", "1.2.3-01",
            "1.2.3-a..b", "1.2.3+a..b", "v1.2.3", " 1.2.3", "1.2.3 ", "1.2.3\n", "1.2.3-α", "1.2.3\u001b[31m",
            "-1.2.3", "1.2.-3", "1.2.3-beta!", "+1.2.3", "1.2.3-\u202erc"})
    void parse_rejectsInvalidVersions(String text) {
        assertThat(SemanticVersion.isValid(text)).isFalse();
        assertThatThrownBy(() -> SemanticVersion.parse(text))
                .isInstanceOf(VersionFormatException.class)
                .satisfies(e -> assertThat(((VersionFormatException) e).code()).isEqualTo(ErrorCode.INVALID_VERSION));
    }

    @Test
    void parse_rejectsOverflowAndOverlongText_withTypedError() {
        assertThatThrownBy(() -> SemanticVersion.parse("99999999999999999999.0.0"))
                .isInstanceOf(VersionFormatException.class).hasMessageContaining("too large");
        String longText = "1.0.0-" + "a".repeat(300);
        assertThat(SemanticVersion.isValid(longText)).isFalse();
        assertThatThrownBy(() -> SemanticVersion.parse(longText))
                .isInstanceOf(VersionFormatException.class).hasMessageContaining("longer than");
    }

    @Test
    void parse_errorMessageEscapesControlCharacters() {
        assertThatThrownBy(() -> SemanticVersion.parse("1.0.0\u001b[2J\u202e"))
                .isInstanceOf(VersionFormatException.class)
                .hasMessageContaining("\\u001b[2J\\u202e")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b", "\u202e"));
    }

    @Test
    void accessors_andRelease() throws Exception {
        SemanticVersion x = v("3.4.5-rc.2+b7");
        assertThat(x.major()).isEqualTo(3);
        assertThat(x.minor()).isEqualTo(4);
        assertThat(x.patch()).isEqualTo(5);
        assertThat(x.preRelease()).containsExactly("rc", "2");
        assertThat(x.isPreRelease()).isTrue();
        assertThat(x.release()).isEqualTo(SemanticVersion.of(3, 4, 5));
        assertThat(x.release().isPreRelease()).isFalse();
        assertThatThrownBy(() -> SemanticVersion.of(-1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
