package io.vboxmcp.spi.support;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.HostPorts;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The drivers' shared helpers, each on its own (the drivers' tests run them against real hypervisors). */
class DriverSupportTest {

    /** Hands out ports from 40000 up; {@code taken} ports cannot be reserved. */
    static final class FakeHostPorts implements HostPorts {
        final Set<Integer> held = new HashSet<>();
        final Set<Integer> taken;
        int next = 40000;

        FakeHostPorts(Set<Integer> taken) {
            this.taken = taken;
        }

        private HostPort hold(String address, int port) {
            held.add(port);
            return new HostPort() {
                @Override
                public String address() {
                    return address;
                }

                @Override
                public int port() {
                    return port;
                }

                @Override
                public void close() {
                    held.remove(port);
                }
            };
        }

        @Override
        public HostPort allocate(String address) {
            return hold(address, next++);
        }

        @Override
        public Optional<HostPort> reserve(String address, int port) {
            return taken.contains(port) ? Optional.empty() : Optional.of(hold(address, port));
        }
    }

    /** Configuration only; a provider context's other parts are not used here. */
    record FakeContext(Map<String, String> config) implements ProviderContext {
        @Override
        public Path home() {
            return Path.of("/nonexistent");
        }

        @Override
        public Optional<String> config(String key) {
            return Optional.ofNullable(config.get(key));
        }

        @Override
        public Path cacheDir(String providerId) {
            return home();
        }

        @Override
        public List<TrustedKey> trustedKeys(String sourceId) {
            return List.of();
        }

        @Override
        public Optional<SignatureVerifier> verifier(String format) {
            return Optional.empty();
        }

        @Override
        public ProgressListener progress() {
            return e -> { };
        }
    }

    @Test
    void forwardedPorts_addsSshFirstAndKeepsTheFirstOfADuplicateGuestPort() throws Exception {
        FakeHostPorts hostPorts = new FakeHostPorts(Set.of());
        try (ForwardedPorts p = ForwardedPorts.reserve(hostPorts, List.of(new PortForward(8000, 18000, "127.0.0.1"),
                new PortForward(8000, 0, "127.0.0.1")))) {
            assertThat(p.ports()).containsExactly(Map.entry(22, 40000), Map.entry(8000, 18000));
            assertThat(p.sshHost()).isEqualTo("127.0.0.1");
            assertThat(p.sshPort()).isEqualTo(40000);
            assertThat(hostPorts.held).containsExactlyInAnyOrder(40000, 18000);
        }
        assertThat(hostPorts.held).as("close hands every port back").isEmpty();
    }

    @Test
    void forwardedPorts_aTakenFixedPortFailsAndHoldsNothing() {
        FakeHostPorts hostPorts = new FakeHostPorts(Set.of(18000));
        assertThatThrownBy(() -> ForwardedPorts.reserve(hostPorts, List.of(new PortForward(8000, 18000, "127.0.0.1"))))
                .isInstanceOf(HypervisorException.class).hasMessageContaining("127.0.0.1:18000");
        assertThat(hostPorts.held).isEmpty();
    }

    @Test
    void mountTag_keepsSimpleNamesAndShortensOthersWithoutCollisions() {
        assertThat(NinePShares.mountTag("data")).isEqualTo("data");
        String a = NinePShares.mountTag("my share/with odd chars");
        String b = NinePShares.mountTag("my share/with odd chars!");
        assertThat(a).matches("[A-Za-z0-9_-]{1,31}").isNotEqualTo(b);
        assertThat(NinePShares.mountTag("x".repeat(80))).hasSizeLessThanOrEqualTo(31);
    }

    @Test
    void mountCommand_quotesTheGuestPathAndMountsReadOnlyWhenAsked() {
        String cmd = NinePShares.mountCommand("data", "/mnt/it's", true);
        assertThat(cmd).contains("mkdir -p '/mnt/it'\\''s'").contains("mount -t 9p -o trans=virtio,version=9p2000.L")
                .contains(",ro data '/mnt/it'\\''s'");
        assertThat(NinePShares.mountCommand("data", "/mnt/d", false)).doesNotContain(",ro");
    }

    @Test
    void driverProgress_namesTheStepAndSurvivesAThrowingListener() {
        List<ProgressEvent> events = new ArrayList<>();
        DriverProgress p = new DriverProgress(events::add, "vm1", "test.create");
        p.started("go");
        p.failed(null);
        assertThat(events).extracting(ProgressEvent::kind)
                .containsExactly(ProgressEvent.Kind.STEP_STARTED, ProgressEvent.Kind.STEP_FAILED);
        assertThat(events).allMatch(e -> e.step().equals("test.create") && e.vmName().equals("vm1"));
        assertThat(events.get(1).message()).isEqualTo("failed");
        new DriverProgress(e -> {
            throw new IllegalStateException("listener bug");
        }, "vm1", "test.create").info("still fine");
    }

    @Test
    void driverSettings_millisRefusesNegativeAndNonNumbersNamingTheKey() throws Exception {
        assertThat(DriverSettings.millis(new FakeContext(Map.of()), "x.timeout", 1500).toMillis()).isEqualTo(1500);
        assertThat(DriverSettings.millis(new FakeContext(Map.of("x.timeout", " 20 ")), "x.timeout", 1).toMillis())
                .isEqualTo(20);
        for (String bad : List.of("-1", "ten", "1.5")) {
            assertThatThrownBy(() -> DriverSettings.millis(new FakeContext(Map.of("x.timeout", bad)), "x.timeout", 1))
                    .isInstanceOfSatisfying(HypervisorException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("x.timeout").hasMessageContaining(bad);
        }
    }

    @Test
    void driverSettings_secondsTakesBlankAsTheDefault_andRefusesZeroNegativeAndNonNumbersNamingTheKey()
            throws Exception {
        assertThat(DriverSettings.seconds(new FakeContext(Map.of()), "x.timeout", 120).toSeconds()).isEqualTo(120);
        assertThat(DriverSettings.seconds(new FakeContext(Map.of("x.timeout", " ")), "x.timeout", 7).toSeconds())
                .isEqualTo(7);
        assertThat(DriverSettings.seconds(new FakeContext(Map.of("x.timeout", " 30 ")), "x.timeout", 1).toSeconds())
                .isEqualTo(30);
        for (String bad : List.of("0", "-5", "soon", "1.5")) {
            assertThatThrownBy(() -> DriverSettings.seconds(new FakeContext(Map.of("x.timeout", bad)), "x.timeout", 1))
                    .isInstanceOfSatisfying(HypervisorException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining("x.timeout").hasMessageContaining("'" + bad + "'");
        }
    }
}
