package com.example.vboxmcpsample;

import io.vboxmcp.ExecResult;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;

import java.nio.file.Path;
import java.util.Map;

/**
 * The README's call from outside the project: install a template folder, create a VM from it, run a command in
 * the guest, destroy it.
 *
 * <pre>
 * CreateVm TEMPLATE_DIR HOME
 * </pre>
 */
public final class CreateVm {
    private CreateVm() {
    }

    public static void main(String[] args) throws Exception {
        try (VmManager manager = VmManager.builder().home(Path.of(args[1])).build()) {
            manager.templates().install(Path.of(args[0]));
            try (Vm vm = manager.createFromTemplate("sample-vm", "web-demo", "1.0.0",
                    Map.of("memory", 256, "cpus", 1, "disk_size", 512))) {
                ExecResult r = vm.exec("uname -s");
                System.out.println("sample: " + vm.name() + " " + vm.state() + ", guest says " + r.stdout().trim()
                        + " (exit " + r.exitCode() + ")");
                if (!r.succeeded()) {
                    System.exit(1);
                }
            }
            System.out.println("sample: destroyed, VMs left: " + manager.vms().size());
        }
    }
}
