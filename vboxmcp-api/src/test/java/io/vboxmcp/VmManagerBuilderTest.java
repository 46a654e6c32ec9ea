package io.vboxmcp;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What {@link VmManager.Builder} decides itself (through {@link VmManagerDefaults}): the home and the lookup. */
class VmManagerBuilderTest {

    @Test
    void config_givenHome_isMadeAbsoluteAndNormalized() {
        Path home = VmManager.builder().home(Path.of("homes/../my-home")).config().home();
        assertThat(home).isEqualTo(Path.of("my-home").toAbsolutePath()).isAbsolute();
    }

    @Test
    void config_withoutHome_takesVboxmcpHomeElseDotVboxmcpInTheUsersHome() {
        String env = System.getenv("VBOXMCP_HOME");
        Path expected = env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".vboxmcp");
        assertThat(VmManager.builder().config().home()).isEqualTo(expected.toAbsolutePath().normalize());
    }

    @Test
    void build_withoutAnImplementationOnTheClassPath_failsInternalNamingVboxmcpCore() {
        // the api module's tests have no vboxmcp-core: no VmManagerFactory is registered
        assertThatThrownBy(() -> VmManager.builder().home(Path.of("unused")).build())
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
                .hasMessageContaining("io.vboxmcp:vboxmcp-core");
    }
}
