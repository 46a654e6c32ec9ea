package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.libvirt.LibvirtKeys;
import io.vboxmcp.testkit.StubProviderContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class LibvirtSettingsTest {
    @TempDir
    Path home;

    @Test
    void defaults_areSystemConnectionTcgAndTheVboxmcpPool() throws Exception {
        LibvirtSettings s = LibvirtSettings.from(new StubProviderContext(home));
        assertThat(s.uri()).isEqualTo("qemu:///system");
        assertThat(s.remote()).isFalse();
        assertThat(s.domainType()).isEqualTo("qemu");
        assertThat(s.pool()).isEqualTo("vboxmcp");
        assertThat(s.machine()).isEqualTo("q35");
    }

    @Test
    void jump_isTheSshUrisUserHostAndPort_withTheUrisKeyfileAndKnownHosts() throws Exception {
        LibvirtSettings s = LibvirtSettings.from(new StubProviderContext(home, Map.of(LibvirtKeys.URI,
                "qemu+ssh://ops@kvm-07.example.org:2222/system?keyfile=/k/id&known_hosts=/k/known%20hosts")));
        assertThat(s.jump()).isEqualTo(new JumpHost("ops", "kvm-07.example.org", 2222, Path.of("/k/id"),
                Path.of("/k/known hosts")));
    }

    @Test
    void jump_configuredKeysWinOverTheUri_andLocalOrTlsConnectionsHaveNone() throws Exception {
        LibvirtSettings s = LibvirtSettings.from(new StubProviderContext(home, Map.of(LibvirtKeys.URI,
                "qemu+ssh://kvm-07/system?keyfile=/k/id", LibvirtKeys.SSH_IDENTITY, "/other/id",
                LibvirtKeys.SSH_KNOWN_HOSTS, "/other/known_hosts")));
        assertThat(s.jump().identity()).isEqualTo(Path.of("/other/id"));
        assertThat(s.jump().knownHosts()).isEqualTo(Path.of("/other/known_hosts"));
        assertThat(s.jump().port()).isEqualTo(22);
        assertThat(s.jump().user()).isEqualTo(System.getProperty("user.name"));
        for (String uri : new String[] {"qemu:///system", "qemu+tls://kvm-07/system"}) {
            assertThat(LibvirtSettings.from(new StubProviderContext(home, Map.of(LibvirtKeys.URI, uri))).jump()).isNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu:///system", "qemu:///session", "qemu+unix:///system"})
    void checkUri_localConnectionsAreLocal(String uri) throws Exception {
        assertThat(LibvirtSettings.checkUri(uri)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qemu+ssh://root@127.0.0.1/system", "qemu+ssh://ops@kvm-07.example.org:2222/system?keyfile=/k",
            "qemu+tls://kvm-07.example.org/system", "qemu+tcp://10.0.0.7/system", "qemu+libssh2://u@h/system"})
    void checkUri_networkTransportsAreRemoteEvenOnLoopback(String uri) throws Exception {
        assertThat(LibvirtSettings.checkUri(uri)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"--help", "qemu:///system --readonly", "xen:///system", "lxc:///", "qemu:///embed?root=/x",
            "qemu+ssh://h/system?no_verify=1", "qemu+tls://h/system?NO_VERIFY=1", "qemu:///system\n", "vbox:///session",
            "qemu+ssh://h/other", "http://example.org/"})
    void checkUri_refusesWhatIsNotAPlainQemuConnection(String uri) {
        HypervisorException e = catchThrowableOfType(HypervisorException.class, () -> LibvirtSettings.checkUri(uri));
        assertThat(e).as(uri).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../etc", "-x", "a b", ""})
    void from_refusesPoolNamesThatAreNotPlainNames(String pool) {
        HypervisorException e = catchThrowableOfType(HypervisorException.class,
                () -> LibvirtSettings.from(new StubProviderContext(home, Map.of(LibvirtKeys.POOL, pool))));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void from_refusesAnUnknownDomainType() {
        HypervisorException e = catchThrowableOfType(HypervisorException.class,
                () -> LibvirtSettings.from(new StubProviderContext(home, Map.of(LibvirtKeys.DOMAIN_TYPE, "xen"))));
        assertThat(e.getMessage()).contains(LibvirtKeys.DOMAIN_TYPE);
    }
}
