package io.vboxmcp;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackageMirrorsTest {
    private static final byte[] KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----\n"
            .getBytes(StandardCharsets.US_ASCII);

    private static PackageMirrors.AptSource apt(String url, List<String> suites, List<String> components, byte[] key,
                                                boolean unsigned) {
        return new PackageMirrors.AptSource(URI.create(url), suites, components, key, unsigned);
    }

    @Test
    void builder_aptMirrorDisablesTheGuestsSourcesByDefault() throws Exception {
        PackageMirrors m = PackageMirrors.builder().apt(apt("http://10.0.2.2:8080/debian", List.of("bookworm"),
                List.of("main"), KEY, false)).build();
        assertThat(m.disableDefaultAptSources()).isTrue();
        assertThat(m.apt().get(0).armored()).isTrue();
        assertThat(PackageMirrors.builder().build().isEmpty()).isTrue();
        assertThat(PackageMirrors.builder().apt(apt("https://m/d", List.of("stable"), List.of(), new byte[] {(byte) 0x99, 1},
                false)).disableDefaultAptSources(false).build().disableDefaultAptSources()).isFalse();
    }

    @Test
    void aptSource_needsAKeyUnlessExplicitlyUnsigned() {
        assertThatThrownBy(() -> apt("https://m/d", List.of("bookworm"), List.of("main"), null, false))
                .hasMessageContaining("needs a signing key");
        assertThatThrownBy(() -> apt("https://m/d", List.of("bookworm"), List.of("main"), "not a key".getBytes(), false))
                .hasMessageContaining("neither an ASCII-armored");
        assertThat(apt("https://m/d", List.of("bookworm"), List.of("main"), null, true).signingKey()).isNull();
    }

    @Test
    void aptSource_refusesSuitesAndComponentsThatCouldInjectLines() {
        for (String bad : List.of("bookworm\nTrusted: yes", "../etc", "-x", "a b", "")) {
            assertThatThrownBy(() -> apt("https://m/d", List.of(bad), List.of("main"), KEY, false)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("suite");
            assertThatThrownBy(() -> apt("https://m/d", List.of("bookworm"), List.of(bad), KEY, false)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("component");
        }
    }

    @Test
    void parseUrl_refusesOtherSchemesOddCharactersAndNeverEchoesCredentials() {
        for (String bad : List.of("ftp://m/d", "file:///etc/passwd", "http://m/d?x=1", "http://m/d#f", "http:///nohost",
                "http://m/d\nTrusted: yes", "http://m/a b", "http://m/'q'", "mirror.example.org/debian")) {
            assertThatThrownBy(() -> PackageMirrors.parseUrl("apt mirror", bad)).as(bad)
                    .isInstanceOfSatisfying(VboxmcpException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        assertThatThrownBy(() -> PackageMirrors.parseUrl("pip index", "https://alice:s3cret@pypi.example.org/simple/"))
                .isInstanceOf(VboxmcpException.class)
                .hasMessageContaining("carries credentials")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret").doesNotContain("alice"));
    }

    @Test
    void pipTrustedHost_onlyForAPlainHttpIndex() throws Exception {
        assertThat(PackageMirrors.builder().pipIndex(URI.create("http://10.0.2.2:8081/simple/")).pipTrustedHost(true)
                .build().pipTrustedHost()).isTrue();
        assertThatThrownBy(() -> PackageMirrors.builder().pipIndex(URI.create("https://p.example/simple/"))
                .pipTrustedHost(true).build())
                .isInstanceOfSatisfying(VboxmcpException.class,
                        e -> assertThat(e.getMessage()).contains("only for a plain-http pip index"));
    }
}
