package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.virtualbox.internal.cli.ProcessCommandRunner;
import io.vboxmcp.virtualbox.internal.cli.Sleeper;
import io.vboxmcp.virtualbox.internal.cli.VBoxManageAdapter;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Against a real VirtualBox 7.x; skipped everywhere else (our build machines cannot run VirtualBox). Run with
 * {@code mvn -pl vboxmcp-virtualbox -am test -Dgroups=virtualbox-live -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("virtualbox-live")
@EnabledIf("io.vboxmcp.virtualbox.internal.VirtualBoxLive#virtualBoxUsable")
class VirtualBoxLiveTest {

    VBoxManageAdapter adapter(List<String> warnings) throws Exception {
        String exe = new VirtualBoxDriverFactory().locate(null);
        return new VBoxManageAdapter(exe, new ProcessCommandRunner(), Sleeper.REAL, Duration.ofSeconds(60),
                Duration.ofMinutes(30), warnings::add);
    }

    @Test
    void realVersion_isParsedAndSupported() throws Exception {
        List<String> warnings = new ArrayList<>();
        VBoxVersion v = adapter(warnings).version();
        assertThat(v.supported()).isTrue();
        assertThat(v.revision()).isPositive();
    }

    @Test
    void realListAndShowvminfo_parse() throws Exception {
        VBoxManageAdapter a = adapter(new ArrayList<>());
        for (VmRef vm : a.listVms()) {
            if (vm.name().equals("<inaccessible>")) {
                continue;
            }
            VmInfo info = a.info(vm.uuid()).orElseThrow();
            assertThat(info.uuid()).contains(vm.uuid());
            assertThat(info.state()).isPresent();
            assertThat(VirtualBoxDriver.map(info.state().get())).isNotNull();
        }
        assertThat(a.status("vboxmcp-live-no-such-vm-" + System.nanoTime())).isEmpty();
    }
}
