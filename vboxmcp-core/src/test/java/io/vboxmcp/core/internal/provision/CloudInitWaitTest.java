package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.VboxmcpException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CloudInitWaitTest {
    private static final String LONG_TEXT = "status: error\nextended_status: error - done\nerrors:\n\t('scripts_user', "
            + "RuntimeError('Runparts: 1 failures (part-001) in 1 attempted commands'))\n";

    private static RecordingGuestChannel guest(int waitExit, boolean timedOut) {
        return new RecordingGuestChannel(c -> c.command().equals(CloudInitWait.LONG)
                ? new ExecResult(0, LONG_TEXT, "", false, false)
                : new ExecResult(timedOut ? -1 : waitExit, "", "", false, timedOut));
    }

    @Test
    void await_doneIsReadyWithinTheRemainingTime() throws Exception {
        RecordingGuestChannel g = guest(0, false);
        CloudInitWait.await(g, Duration.ofSeconds(42), e -> { }, "vm");
        assertThat(g.commands).hasSize(1);
        assertThat(g.commands.get(0).command()).contains("cloud-init status --wait");
        assertThat(g.commands.get(0).timeout()).isEqualTo(Duration.ofSeconds(42));
    }

    @Test
    void await_guestWithoutCloudInitIsReadyAtOnce() throws Exception {
        RecordingGuestChannel g = guest(CloudInitWait.ABSENT, false);
        CloudInitWait.await(g, Duration.ofSeconds(5), e -> { }, "vm");
        assertThat(g.commands).hasSize(1);
    }

    @Test
    void await_criticalErrorFailsWithTheLongStatus() {
        RecordingGuestChannel g = guest(1, false);
        assertThatThrownBy(() -> CloudInitWait.await(g, Duration.ofSeconds(5), e -> { }, "vm"))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.PROVISIONING);
                    assertThat(e.getMessage()).contains("cloud-init in the guest failed (exit 1)")
                            .contains("Runparts: 1 failures");
                });
    }

    @Test
    void await_recoverableErrorIsReadyWithAWarning() throws Exception {
        List<ProgressEvent> events = new ArrayList<>();
        CloudInitWait.await(guest(2, false), Duration.ofSeconds(5), events::add, "vm");
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.step()).isEqualTo("guest-ready");
            assertThat(e.message()).startsWith("warning: cloud-init finished with a recoverable error")
                    .contains("status: error");
        });
    }

    @Test
    void await_stillRunningAtTheDeadlineIsATimeout() {
        assertThatThrownBy(() -> CloudInitWait.await(guest(0, true), Duration.ofSeconds(5), e -> { }, "vm"))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
    }
}
