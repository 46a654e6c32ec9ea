package io.vboxmcp.cli.internal;

import io.vboxmcp.Vm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import java.time.Duration;

/** {@code vboxmcp stop} and {@code vboxmcp destroy}: the end of a VM's life. */
final class LifecycleCommands {
    private LifecycleCommands() {
    }

    @Command(name = "stop", header = "Shut a VM down",
        description = "Shuts a VM down (forced off after a grace period); its disk stays.")
    static final class Stop extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Override
        int run(Session s) throws Exception {
            Vm v = VmCommands.find(s, VmCommands.checkVmName(this, vm));
            s.step("stop", vm, () -> {
                v.stop();
                return null;
            });
            s.result("stopped " + vm);
            s.emitJson(true, Json.obj().put("vm", vm).put("state", VmCommands.state(v)));
            return Main.OK;
        }
    }

    @Command(name = "destroy", header = "Remove a VM and everything it had",
        description = "Stops a VM and removes every process, disk, port and file it had.")
    static final class Destroy extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "VM")
        String vm;

        @Override
        int run(Session s) throws Exception {
            Vm v = VmCommands.find(s, VmCommands.checkVmName(this, vm));
            long start = System.nanoTime();
            s.step("destroy", vm, () -> {
                v.destroy();
                return null;
            });
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            s.result("destroyed " + vm + " in " + ProgressDisplay.format(took));
            s.emitJson(true, Json.obj().put("vm", vm).put("seconds", took.toMillis() / 1000.0));
            return Main.OK;
        }
    }
}
