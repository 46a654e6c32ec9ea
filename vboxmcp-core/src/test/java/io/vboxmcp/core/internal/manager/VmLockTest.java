package io.vboxmcp.core.internal.manager;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Per-VM locks against another real process: busy (LCY-09) and crashed (LCY-10) holders. */
class VmLockTest {
    @TempDir
    Path home;
    private Process holder;

    @AfterEach
    void killHolder() throws Exception {
        if (holder != null && holder.isAlive()) {
            holder.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Starts a JVM that holds VM {@code name}'s lock and waits until it says so. */
    private Process holdInAnotherProcess(String name) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockHolderMain.class.getName(),
                home.toString(), name).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).as("the holder took the lock").isEqualTo("HELD");
        return holder;
    }

    private VmManager manager() throws VboxmcpException {
        return VmManager.builder().home(home).discoverProviders(false).addDriver(new RecordingHypervisorDriver().factory())
                .property(CoreKeys.LOCK_TIMEOUT, "1").build();
    }

    private static CreateVmRequest request() throws VboxmcpException {
        return CreateVmRequest.builder("vm1", TemplateRef.parse("absent@1.0.0")).build();
    }

    @Test
    void create_onVmBusyInAnotherProcess_isLockedNamingTheHolder_LCY09() throws Exception {
        Process p = holdInAnotherProcess("vm1");
        try (VmManager m = manager()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> m.createFromTemplate(request())).isInstanceOfSatisfying(VboxmcpException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.LOCKED);
                assertThat(e.getMessage()).contains("VM 'vm1'").contains("process " + p.pid());
            });
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("waits about lock.timeout")
                    .isBetween(900L, 10_000L);
            assertThat(home.resolve("vms/vm1")).as("nothing created").doesNotExist();
        }
    }

    @Test
    void lock_ofAKilledHolder_isReleasedByTheOs_LCY10() throws Exception {
        Process p = holdInAnotherProcess("vm1");
        Path lockFile = home.resolve("locks/vm-vm1.lock");
        assertThat(Files.readString(lockFile).strip()).isEqualTo(String.valueOf(p.pid()));
        p.destroyForcibly();  // SIGKILL: no chance to release anything itself
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        try (VmManager m = manager()) {
            // past the lock: the create now fails only because the template does not exist
            assertThatThrownBy(() -> m.createFromTemplate(request())).isInstanceOfSatisfying(VboxmcpException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.TEMPLATE_NOT_FOUND));
        }
        assertThat(Files.readString(lockFile).strip()).as("the stale pid was replaced by the new holder's")
                .isEqualTo(String.valueOf(ProcessHandle.current().pid()));
    }
}
