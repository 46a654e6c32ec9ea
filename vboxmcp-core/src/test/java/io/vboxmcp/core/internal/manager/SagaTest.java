package io.vboxmcp.core.internal.manager;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.VboxmcpException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SagaTest {
    @Test
    void rollback_runsUndosInReverseOrder_LCY01() throws Exception {
        List<String> log = new ArrayList<>();
        Saga saga = new Saga(e -> { }, "vm");
        for (String s : List.of("a", "b", "c")) {
            saga.run(s, () -> log.add("do " + s));
            saga.onUndo(s, () -> log.add("undo " + s));
        }
        VboxmcpException failure = new VboxmcpException(ErrorCode.HYPERVISOR, "boom");
        assertThat(saga.rollback(failure)).isEmpty();
        assertThat(log).containsExactly("do a", "do b", "do c", "undo c", "undo b", "undo a");
    }

    @Test
    void step_namesTheFailingStep() {
        Saga saga = new Saga(e -> { }, "vm");
        assertThatThrownBy(() -> saga.run("start", () -> {
            throw new VboxmcpException(ErrorCode.HYPERVISOR, "port taken");
        })).isInstanceOf(VboxmcpException.class)
                .hasMessage("step 'start' failed: port taken")
                .satisfies(e -> assertThat(((VboxmcpException) e).step()).contains("start"));
    }

    @Test
    void step_wrapsUnexpectedExceptionsWithoutLeakingTheirType() {
        Saga saga = new Saga(e -> { }, "vm");
        assertThatThrownBy(() -> saga.run("create", () -> {
            throw new IllegalStateException("bug");
        })).isInstanceOf(VboxmcpException.class)
                .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.INTERNAL));
    }

    @Test
    void rollback_continuesPastAFailingUndoAndReportsTheOrphan_LCY04() {
        List<String> log = new ArrayList<>();
        Saga saga = new Saga(e -> { }, "vm");
        saga.onUndo("disk", () -> log.add("undo disk"));
        saga.onUndo("process", () -> {
            throw new IllegalStateException("kill failed");
        });
        saga.onUndo("ssh", () -> log.add("undo ssh"));
        VboxmcpException failure = new VboxmcpException(ErrorCode.PROVISIONING, "script failed");
        List<String> orphans = saga.rollback(failure);
        assertThat(log).containsExactly("undo ssh", "undo disk");
        assertThat(orphans).containsExactly("process");
        assertThat(failure.getSuppressed()).hasSize(1);
        assertThat(failure.getSuppressed()[0]).hasMessageContaining("kill failed");
    }

    @Test
    void rollback_runsEvenWhenInterruptedAndKeepsTheInterrupt_LCY06() {
        List<String> log = new ArrayList<>();
        Saga saga = new Saga(e -> { }, "vm");
        saga.onUndo("a", () -> {
            // an undo that waits must not see the interrupt
            Thread.sleep(1);
            log.add("undo a");
        });
        Thread.currentThread().interrupt();
        assertThat(saga.rollback(new VboxmcpException(ErrorCode.CANCELLED, "x"))).isEmpty();
        assertThat(log).containsExactly("undo a");
        assertThat(Thread.interrupted()).as("the interrupt is restored for the caller").isTrue();
    }

    @Test
    void step_refusesToStartWhenInterrupted() {
        Saga saga = new Saga(e -> { }, "vm");
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> saga.run("create", () -> { }))
                    .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.CANCELLED));
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void step_reportsStartedAndFinishedEvents() throws Exception {
        List<ProgressEvent> events = new ArrayList<>();
        Saga saga = new Saga(events::add, "vm1");
        saga.run("plan", () -> { });
        assertThat(events).extracting(ProgressEvent::kind)
                .containsExactly(ProgressEvent.Kind.STEP_STARTED, ProgressEvent.Kind.STEP_FINISHED);
        assertThat(events).allSatisfy(e -> assertThat(e.vmName()).isEqualTo("vm1"));
    }
}
