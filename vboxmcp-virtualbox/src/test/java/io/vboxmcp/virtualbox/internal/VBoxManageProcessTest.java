package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.virtualbox.VirtualBoxKeys;
import io.vboxmcp.virtualbox.internal.cli.ProcessCommandRunner;
import io.vboxmcp.virtualbox.internal.cli.VBoxManageAdapter;
import io.vboxmcp.virtualbox.internal.cli.VBoxManageException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The VBoxManage adapter running real processes (ProcessBuilder, pipes, exit codes, kills) against the fake script. */
class VBoxManageProcessTest {
    @TempDir
    Path dir;
    FakeVBoxManage fake;
    final List<Duration> sleeps = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();

    @BeforeEach
    void install() throws Exception {
        fake = FakeVBoxManage.installIn(dir.resolve("bin"));
    }

    VBoxManageAdapter adapter(Duration timeout) {
        return new VBoxManageAdapter(fake.executable.toString(), new ProcessCommandRunner(), sleeps::add, timeout,
                timeout, warnings::add);
    }

    @Test
    void everyCommandRunsUnderTheCLocale() throws Exception {
        adapter(Duration.ofSeconds(20)).listVms();
        assertThat(fake.calls()).containsExactly("LC_ALL=C --version", "LC_ALL=C list vms");
    }

    @Test
    void timeout_killsTheProcessAndIsTypedTimeout() throws Exception {
        VBoxManageAdapter a = adapter(Duration.ofSeconds(1));
        a.version();
        fake.hook("sleep-list", "30");
        long t0 = System.nanoTime();
        HypervisorException e = catchThrowableOfType(HypervisorException.class, a::listVms);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.getMessage()).contains("list vms").contains("did not finish within 1 s");
        assertThat(ms).as("returned soon after the 1 s timeout, not after the 30 s sleep").isLessThan(10_000);
    }

    @Test
    void errorBlockOnStderr_becomesTypedNotFound_andStatusIsEmpty() throws Exception {
        VBoxManageAdapter a = adapter(Duration.ofSeconds(20));
        assertThat(a.status("nope")).isEmpty();
        VBoxManageException e = catchThrowableOfType(VBoxManageException.class, () -> a.setResources("nope", 512, 1));
        assertThat(e.exitCode()).isEqualTo(1);
        assertThat(e.code()).isEqualTo(ErrorCode.VM_NOT_FOUND);
        assertThat(e.vboxCode()).contains("VBOX_E_OBJECT_NOT_FOUND");
        assertThat(e.block().hresult()).isEqualTo("0x80bb0001");
        assertThat(e.getMessage()).contains("Could not find a registered machine named 'nope'");
        a.delete("nope"); // idempotent: not found is not an error
    }

    @Test
    void syntaxError_exitCode2_isNotRetried() throws Exception {
        VBoxManageAdapter a = adapter(Duration.ofSeconds(20));
        a.version();
        VBoxManageException e = catchThrowableOfType(VBoxManageException.class, () -> a.acpiShutdown("--bogus"));
        assertThat(e.exitCode()).isEqualTo(1);
        fake.hook("fail-list", "VBoxManage: error: Invalid parameter 'vms'\n");
        VBoxManageException e2 = catchThrowableOfType(VBoxManageException.class, a::listVms);
        assertThat(e2.getMessage()).contains("Invalid parameter 'vms'");
        assertThat(sleeps).isEmpty();
        assertThat(fake.calls()).filteredOn(c -> c.contains("list vms")).hasSize(1);
    }

    @Test
    void sessionLock_isRetriedWithBackoff_thenReportedAsLocked() throws Exception {
        VBoxManageAdapter a = adapter(Duration.ofSeconds(20));
        a.version();
        fake.hook("fail-modifyvm", Fixtures.read("error-locked-windows-crlf.txt"));
        VBoxManageException e = catchThrowableOfType(VBoxManageException.class, () -> a.setResources("x", 512, 1));
        assertThat(e.code()).isEqualTo(ErrorCode.LOCKED);
        assertThat(e.isSessionLock()).isTrue();
        assertThat(fake.calls()).filteredOn(c -> c.contains("modifyvm")).hasSize(5);
        assertThat(sleeps).containsExactly(Duration.ofMillis(500), Duration.ofMillis(1000), Duration.ofMillis(2000),
                Duration.ofMillis(4000));
    }

    @Test
    void versionWarnings_areReported_andOldVersionsRefused() throws Exception {
        fake.hook("version", Fixtures.read("version-warning-logname-7.1.4.txt"));
        assertThat(adapter(Duration.ofSeconds(20)).version().shortString()).isEqualTo("7.1.4");
        assertThat(warnings).singleElement().asString().contains("LOGNAME or USER");

        fake.hook("version", Fixtures.read("version-6.1.38-ubuntu.txt"));
        HypervisorException e = catchThrowableOfType(HypervisorException.class, () -> adapter(Duration.ofSeconds(20)).listVms());
        assertThat(e.getMessage()).contains("VirtualBox 6.1.38_Ubuntur153438 is not supported")
                .contains("7.0 or newer");
        assertThat(fake.calls()).as("nothing but --version ran against the old VirtualBox")
                .filteredOn(c -> !c.endsWith("--version")).isEmpty();
    }

    @Test
    void factory_explainsWhyVirtualBoxIsUnavailable() throws Exception {
        VirtualBoxDriverFactory f = new VirtualBoxDriverFactory(new ProcessCommandRunner(), Map.of("PATH", dir.resolve("empty").toString()));
        StubProviderContext none = new StubProviderContext(dir.resolve("home"), Map.of());
        if (!Files.exists(Path.of("/usr/bin/VBoxManage")) && !Files.exists(Path.of("/usr/local/bin/VBoxManage"))) {
            assertThat(f.unavailableReason(none)).hasValueSatisfying(r -> assertThat(r).contains("VBoxManage not found"));
        }
        StubProviderContext configured = new StubProviderContext(dir.resolve("home"),
                Map.of(VirtualBoxKeys.VBOXMANAGE, fake.executable.toString()));
        assertThat(f.unavailableReason(configured)).isEmpty();
        fake.hook("version", Fixtures.read("version-warning-kernel-6.0.12.txt"));
        assertThat(f.unavailableReason(configured)).hasValueSatisfying(r -> assertThat(r).contains("6.0.12")
                .contains("7.0 or newer"));
        fake.hook("version", "WARNING: The vboxdrv kernel module is not loaded.\n7.1.4r165100\n");
        assertThat(f.unavailableReason(configured)).hasValueSatisfying(r -> assertThat(r)
                .contains("installed but cannot start VMs").contains("vboxdrv"));
        StubProviderContext bad = new StubProviderContext(dir.resolve("home"),
                Map.of(VirtualBoxKeys.VBOXMANAGE, dir.resolve("missing").toString()));
        assertThat(f.unavailableReason(bad)).hasValueSatisfying(r -> assertThat(r).contains("not an executable file"));
        StubProviderContext badTimeout = new StubProviderContext(dir.resolve("home"),
                Map.of(VirtualBoxKeys.VBOXMANAGE, fake.executable.toString(), VirtualBoxKeys.COMMAND_TIMEOUT, "soon"));
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> f.create(badTimeout));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(f.id()).isEqualTo("virtualbox");
        assertThat(f.priority()).isEqualTo(200);
    }

    @Test
    void missingExecutable_isTypedHypervisorError() {
        VBoxManageAdapter a = new VBoxManageAdapter(dir.resolve("nope/VBoxManage").toString(), new ProcessCommandRunner(),
                sleeps::add, Duration.ofSeconds(5), Duration.ofSeconds(5), warnings::add);
        HypervisorException e = catchThrowableOfType(HypervisorException.class, a::version);
        assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
        assertThat(e.getMessage()).contains("could not run");
    }

    @Test
    void serviceFile_registersTheFactory() {
        assertThat(java.util.ServiceLoader.load(io.vboxmcp.spi.HypervisorDriverFactory.class).stream()
                .map(p -> p.type().getName())).contains(VirtualBoxDriverFactory.class.getName());
    }
}
