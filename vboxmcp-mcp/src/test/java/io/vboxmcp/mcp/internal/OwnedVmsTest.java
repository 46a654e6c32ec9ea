package io.vboxmcp.mcp.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.mcp.McpPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The server's own VMs: reservations against the policy's count and totals, and the state file a restart reads. */
class OwnedVmsTest {
    @TempDir
    Path tmp;

    static McpPolicy policy(int maxVms, int totalMemory) {
        return new McpPolicy(List.of(), List.of(), 4096, 2, 20000, totalMemory, 4, 60000, maxVms, false, false, null,
                Set.of(), false, true, 1024, Duration.ofMinutes(1), 1024);
    }

    @Test
    void reserve_countsInFlightCreatesAgainstCountAndTotals_RES04() throws Exception {
        OwnedVms owned = new OwnedVms(policy(2, 3000), null, Clock.systemUTC());
        owned.reserve("a", 2000, 1, 1000);
        assertThatThrownBy(() -> owned.reserve("b", 1500, 1, 1000)).isInstanceOf(VboxmcpException.class)
                .hasMessageContaining("3500/3000 MB memory")
                .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.RESOURCE_LIMIT));
        assertThatThrownBy(() -> owned.reserve("a", 1, 1, 1)).hasMessageContaining("already has a VM named 'a'");
        owned.reserve("b", 1000, 1, 1000);
        assertThatThrownBy(() -> owned.reserve("c", 1, 1, 1)).hasMessageContaining("allows 2 VM(s) at once");
        owned.release("a");
        owned.reserve("c", 1, 1, 1);
        assertThat(owned.all()).extracting(e -> e.name).containsExactly("b", "c");
    }

    @Test
    void stateFile_listsOwnedNames_soTheNextServerFindsWhatACrashLeft() throws Exception {
        Path state = tmp.resolve("mcp/owned-vms.json");
        OwnedVms first = new OwnedVms(policy(3, 8192), state, Clock.systemUTC());
        first.reserve("left-1", 512, 1, 256);
        first.reserve("left-2", 512, 1, 256);
        first.reserve("gone", 512, 1, 256);
        first.release("gone");
        // the first server dies here without cleaning up
        OwnedVms next = new OwnedVms(policy(3, 8192), state, Clock.systemUTC());
        assertThat(next.leftOver()).containsExactly("left-1", "left-2");
        assertThat(tmp.resolve("mcp")).isDirectoryContaining(p -> p.getFileName().toString().equals("owned-vms.json"))
                .isDirectoryNotContaining(p -> p.getFileName().toString().endsWith(".tmp"));
    }

    @Test
    void idle_skipsAVmRunningAGuestCommand_andCountsFromItsEnd() throws Exception {
        FakeClock clock = new FakeClock();
        OwnedVms owned = new OwnedVms(policy(2, 8192), null, clock);
        OwnedVms.Entry e = owned.reserve("worker", 512, 1, 256);
        // a created VM that idle() only checks for presence: a stub no call may reach
        e.vm = (io.vboxmcp.Vm) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {io.vboxmcp.Vm.class}, (p, m, a) -> {
                    throw new AssertionError("idle() called " + m.getName());
                });
        owned.begin(e);                       // an exec starts
        clock.advance(Duration.ofMinutes(10)); // and runs longer than the idle time
        assertThat(owned.idle(Duration.ofMinutes(5))).as("busy: not idle however long it runs").isEmpty();
        owned.end(e);
        assertThat(owned.idle(Duration.ofMinutes(5))).as("the idle time counts from the command's end").isEmpty();
        clock.advance(Duration.ofMinutes(6));
        assertThat(owned.idle(Duration.ofMinutes(5))).extracting(x -> x.name).containsExactly("worker");
    }

    /** A clock the test moves. */
    static final class FakeClock extends Clock {
        private java.time.Instant now = java.time.Instant.parse("2026-11-30T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public java.time.Instant instant() {
            return now;
        }
    }
}
