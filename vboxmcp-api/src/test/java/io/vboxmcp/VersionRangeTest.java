package io.vboxmcp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VersionRangeTest {
    private static boolean in(String range, String version) throws VersionFormatException {
        return VersionRange.parse(range).contains(SemanticVersion.parse(version));
    }

    /** range, version, expected: the npm/node-semver behaviour for each form the issue names. */
    @ParameterizedTest(name = "{1} in ''{0}'' = {2}")
    @CsvSource(delimiter = ';', value = {
            // exact
            "1.2.3        ; 1.2.3        ; true",
            "1.2.3        ; 1.2.4        ; false",
            "=1.2.3       ; 1.2.3+build  ; true",
            "v1.2.3       ; 1.2.3        ; true",
            // caret
            "^1.2         ; 1.2.0        ; true",
            "^1.2         ; 1.9.9        ; true",
            "^1.2         ; 2.0.0        ; false",
            "^1.2         ; 1.1.9        ; false",
            "^1.2.3       ; 1.2.2        ; false",
            "^0.2.3       ; 0.2.9        ; true",
            "^0.2.3       ; 0.3.0        ; false",
            "^0.0.3       ; 0.0.3        ; true",
            "^0.0.3       ; 0.0.4        ; false",
            "^0.0         ; 0.0.9        ; true",
            "^0.0         ; 0.1.0        ; false",
            "^0           ; 0.9.9        ; true",
            "^0           ; 1.0.0        ; false",
            "^1.x         ; 1.5.0        ; true",
            // tilde
            "~1.2.3       ; 1.2.3        ; true",
            "~1.2.3       ; 1.2.9        ; true",
            "~1.2.3       ; 1.3.0        ; false",
            "~1.2.3       ; 1.2.2        ; false",
            "~1.2         ; 1.2.0        ; true",
            "~1.2         ; 1.3.0        ; false",
            "~1           ; 1.9.0        ; true",
            "~1           ; 2.0.0        ; false",
            "~>1.2        ; 1.2.5        ; true",
            // comparators, intersections
            ">=1 <2       ; 1.0.0        ; true",
            ">=1 <2       ; 1.99.99      ; true",
            ">=1 <2       ; 2.0.0        ; false",
            ">=1 <2       ; 0.9.0        ; false",
            ">1.2         ; 1.2.9        ; false",
            ">1.2         ; 1.3.0        ; true",
            ">1.2.3       ; 1.2.4        ; true",
            "<1.2         ; 1.1.9        ; true",
            "<1.2         ; 1.2.0        ; false",
            "<=1.2        ; 1.2.9        ; true",
            "<=1.2        ; 1.3.0        ; false",
            ">= 1.2.3     ; 1.2.3        ; true",
            // x-ranges
            "1.x          ; 1.0.0        ; true",
            "1.x          ; 1.9.3        ; true",
            "1.x          ; 2.0.0        ; false",
            "1.2.x        ; 1.2.7        ; true",
            "1.2.*        ; 1.3.0        ; false",
            "1            ; 1.4.0        ; true",
            "*            ; 0.0.0        ; true",
            "x            ; 42.0.0       ; true",
            "''           ; 3.1.4        ; true",
            // alternatives
            "1.x || >=3   ; 1.5.0        ; true",
            "1.x || >=3   ; 2.5.0        ; false",
            "1.x || >=3   ; 3.0.0        ; true",
            "^1.0 || ^3.0 ; 3.2.0        ; true",
            // hyphen ranges
            "1.2.3 - 2.3.4 ; 1.2.3       ; true",
            "1.2.3 - 2.3.4 ; 2.3.4       ; true",
            "1.2.3 - 2.3.4 ; 2.3.5       ; false",
            "1.2 - 2.3    ; 2.3.9        ; true",
            "1.2 - 2.3    ; 2.4.0        ; false",
            "1.2 - 2.3    ; 1.1.9        ; false",
            "1 - 2        ; 2.9.9        ; true",
            "1.0.0-rc.1 - 2.0.0 ; 1.0.0-rc.2 ; true",
            "1.0.0 - 2.0.0-beta ; 2.0.0-alpha ; true",
            "1.0.0 - 2.0.0-beta ; 2.0.0 ; false",
            // the pre-release rule
            "^1.0         ; 2.0.0-rc.1   ; false",
            "^1.0         ; 1.5.0-beta   ; false",
            "*            ; 1.0.0-rc.1   ; false",
            ">=2.0.0-rc.0 ; 2.0.0-rc.1   ; true",
            ">=2.0.0-rc.0 ; 2.0.1-rc.1   ; false",
            ">=2.0.0-rc.0 ; 2.0.0        ; true",
            ">1.2.3-alpha.3 ; 1.2.3-alpha.7 ; true",
            ">1.2.3-alpha.3 ; 3.4.5-alpha.9 ; false",
            ">1.2.3-alpha.3 ; 3.4.5      ; true",
            "^1.2.3-beta.2 ; 1.2.3-beta.4 ; true",
            "^1.2.3-beta.2 ; 1.2.4-beta.2 ; false",
            "1.2.3-rc.1   ; 1.2.3-rc.1   ; true",
            "1.2.3-rc.1 || 1.x ; 1.2.4-rc.1 ; false",
            ">=3.0.0-alpha.1 <3 ; 3.0.0-alpha.1 ; false",
            ">=3.0.0-alpha.1 <3.0.0 ; 3.0.0-alpha.2 ; true",
            // where semver4j 5.8.0 differs (it drops all but one sugared comparator of a set)
            "^1 ^1.0.0    ; 1.0.0        ; true",
            ">=2 ^3.1     ; 2.0.0        ; false",
            ">=2 ^3.1     ; 3.1.0        ; true",
            "1.1 ~>2.1.0  ; 1.1.0        ; false",
            "1.2.0-alpha - 1.1 ; 1.2.0-alpha ; false",
    })
    void contains_followsNpmSemantics(String range, String version, boolean expected) throws Exception {
        assertThat(in(range, version)).isEqualTo(expected);
    }

    @Test
    void highest_picksTheGreatestMatchingVersion() throws Exception {
        List<SemanticVersion> candidates = new ArrayList<>();
        for (String s : List.of("0.9.0", "1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "2.0.0", "2.1.0-beta.1")) {
            candidates.add(SemanticVersion.parse(s));
        }
        assertThat(VersionRange.parse("^1.0").highest(candidates)).contains(SemanticVersion.parse("1.10.0"));
        assertThat(VersionRange.parse("*").highest(candidates)).contains(SemanticVersion.parse("2.0.0"));
        assertThat(VersionRange.parse(">=2.1.0-beta.0").highest(candidates)).contains(SemanticVersion.parse("2.1.0-beta.1"));
        assertThat(VersionRange.parse("^3").highest(candidates)).isEmpty();
        assertThat(VersionRange.parse("*").highest(List.of())).isEmpty();
    }

    @Test
    void exactly_andExactVersion() throws Exception {
        SemanticVersion v = SemanticVersion.parse("1.2.3");
        assertThat(VersionRange.exactly(v).contains(v)).isTrue();
        assertThat(VersionRange.exactly(v).exactVersion()).contains(v);
        assertThat(VersionRange.parse("1.2.3").exactVersion()).contains(v);
        assertThat(VersionRange.parse("^1.2.3").exactVersion()).isEmpty();
        assertThat(VersionRange.parse("1.2.3 || 1.2.4").exactVersion()).isEmpty();
    }

    @Test
    void equality_isBySemanticsOfTheComparators() throws Exception {
        assertThat(VersionRange.parse("^1.2")).isEqualTo(VersionRange.parse(">=1.2.0 <2.0.0-0"))
                .hasSameHashCodeAs(VersionRange.parse(">=1.2.0 <2.0.0-0"));
        assertThat(VersionRange.parse("1.x")).isEqualTo(VersionRange.parse("~1"));
        assertThat(VersionRange.parse("^1.2")).isNotEqualTo(VersionRange.parse("~1.2"));
        assertThat(VersionRange.parse(" ^1.2 ")).hasToString("^1.2");
        assertThat(VersionRange.parse("")).hasToString("*");
    }

    @ParameterizedTest
    @ValueSource(strings = {">=", "1.2.3.4", "^^1", "a.b.c", "1.2.3 - 2 - 3", "1.2-rc.1", ">=1.0.0-", "01.2.3",
            "1.2.3 -", "~1.2.3 foo", "99999999999999999999", "1.2.3\u001b[31m", "\u202e1.0.0"})
    void parse_rejectsMalformedRanges(String text) {
        assertThatThrownBy(() -> VersionRange.parse(text))
                .isInstanceOf(VersionFormatException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b", "\u202e"));
    }

    @Test
    void parse_rejectsOverlongText() {
        assertThatThrownBy(() -> VersionRange.parse("1.0.0 || ".repeat(200) + "1.0.0"))
                .isInstanceOf(VersionFormatException.class).hasMessageContaining("longer than");
    }
}
