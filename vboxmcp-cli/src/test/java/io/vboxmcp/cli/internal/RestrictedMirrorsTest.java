package io.vboxmcp.cli.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.VboxmcpException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RestrictedMirrorsTest {
    static PackageMirrors mirrors(String apt, String pip) throws VboxmcpException {
        PackageMirrors.Builder b = PackageMirrors.builder();
        if (apt != null) {
            b.apt(new PackageMirrors.AptSource(URI.create(apt), List.of("bookworm"), List.of("main"), null, true));
        }
        if (pip != null) {
            b.pipIndex(URI.create(pip)).pipTrustedHost(pip.startsWith("http:"));
        }
        return b.build();
    }

    @Test
    void of_relaysTheHostsMirrorsFromItsLoopback_andHandsTheGuestTheRelayAddressOnTheSamePortAndPath() throws Exception {
        RestrictedMirrors r = RestrictedMirrors.of(mirrors("http://10.0.2.2:8101/debian/", "http://10.0.2.2:8102/simple/"),
                List.of("127.0.0.1:3142"));
        assertThat(r.allow()).containsExactly("127.0.0.1:3142", "127.0.0.1:8101", "127.0.0.1:8102");
        assertThat(r.mirrors().apt().get(0).uri()).isEqualTo(URI.create("http://10.0.2.100:8101/debian/"));
        assertThat(r.mirrors().apt().get(0).suites()).containsExactly("bookworm");
        assertThat(r.mirrors().disableDefaultAptSources()).isTrue();
        assertThat(r.mirrors().pipIndex()).isEqualTo(URI.create("http://10.0.2.100:8102/simple/"));
        assertThat(r.mirrors().pipTrustedHost()).isTrue();
    }

    @Test
    void of_relaysAnotherHostAsItIs_onPort80WhenTheUrlNamesNone_andOnceForTheSameService() throws Exception {
        RestrictedMirrors r = RestrictedMirrors.of(mirrors("http://mirror.example.org/debian", null),
                List.of("mirror.example.org:80"));
        assertThat(r.allow()).containsExactly("mirror.example.org:80");
        assertThat(r.mirrors().apt().get(0).uri()).isEqualTo(URI.create("http://10.0.2.100:80/debian"));
        assertThat(RestrictedMirrors.of(PackageMirrors.NONE, List.of()).mirrors().isEmpty()).isTrue();
    }

    @Test
    void of_refusesHttpsLoopbackAndTwoServicesOnOnePort() {
        assertThatThrownBy(() -> RestrictedMirrors.of(mirrors(null, "https://pypi.example.org/simple/"), List.of()))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("pip index at pypi.example.org is https");
        assertThatThrownBy(() -> RestrictedMirrors.of(mirrors("http://127.0.0.1:8101/", null), List.of()))
                .hasMessageContaining("is the guest itself").hasMessageContaining("10.0.2.2");
        assertThatThrownBy(() -> RestrictedMirrors.of(mirrors("http://10.0.2.2:8101/", "http://mirror.example.org:8101/"),
                List.of())).hasMessageContaining("both need port 8101");
        assertThatThrownBy(() -> RestrictedMirrors.of(mirrors(null, "http://10.0.2.2:3142/"), List.of("cache.lan:3142")))
                .hasMessageContaining("pip index (127.0.0.1:3142) and cache.lan:3142 both need port 3142");
    }
}
