package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.virtualbox.internal.cli.CommandResult;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.vboxmcp.virtualbox.internal.RecordingCommandRunner.errorBlock;
import static io.vboxmcp.virtualbox.internal.RecordingCommandRunner.fail;
import static io.vboxmcp.virtualbox.internal.RecordingCommandRunner.ok;

/**
 * A stateful script of VirtualBox 7.1 for {@link RecordingCommandRunner}: registered machines with their state,
 * snapshots, NAT rules and files, answering the commands of ready snapshots the way VBoxManage does (a clone of a
 * snapshot taken while running is {@code saved}; {@code startvm} of a saved machine resumes it; a clone's files go to
 * {@code <basefolder>/<name>/}). {@link #failures} makes a verb fail once with the given result.
 */
final class ScriptedVirtualBox {
    /** One registered machine. */
    static final class Vm {
        final String name;
        final String uuid;
        final Path folder;
        String state;
        final List<String> snapshots = new ArrayList<>();
        final List<String> rules = new ArrayList<>();
        final List<String> shares = new ArrayList<>();
        String dvd;

        Vm(String name, String uuid, Path folder, String state) {
            this.name = name;
            this.uuid = uuid;
            this.folder = folder;
            this.state = state;
        }
    }

    final Map<String, Vm> vms = new LinkedHashMap<>();
    final Map<String, CommandResult> failures = new HashMap<>();
    private int clones;

    Vm register(String name, String uuid, Path folder, String state) {
        Vm vm = new Vm(name, uuid, folder, state);
        vms.put(name, vm);
        return vm;
    }

    Optional<Vm> find(String nameOrUuid) {
        return vms.values().stream().filter(v -> v.name.equals(nameOrUuid) || v.uuid.equals(nameOrUuid)).findFirst();
    }

    static String uuid(int n) {
        return String.format("cccccccc-0000-4000-8000-%012d", n);
    }

    CommandResult answer(List<String> a) {
        CommandResult failure = failures.remove(a.get(0));
        if (failure != null) {
            return failure;
        }
        try {
            return switch (a.get(0)) {
                case "--version" -> ok("7.1.4r165100\n");
                case "showvminfo" -> find(a.get(1)).map(v -> ok(info(v))).orElseGet(() -> notFound(a.get(1)));
                case "snapshot" -> snapshot(a);
                case "clonevm" -> cloneVm(a);
                case "modifyvm" -> modifyVm(a);
                case "storageattach" -> {
                    find(a.get(1)).orElseThrow().dvd = a.get(a.indexOf("--medium") + 1);
                    yield ok("");
                }
                case "startvm" -> {
                    find(a.get(1)).orElseThrow().state = "running";
                    yield ok("Waiting for VM \"" + a.get(1) + "\" to power on...\nVM \"" + a.get(1)
                            + "\" has been successfully started.\n");
                }
                case "controlvm" -> {
                    Optional<Vm> vm = find(a.get(1));
                    vm.ifPresent(v -> v.state = "poweroff");
                    yield vm.isPresent() ? ok("") : notFound(a.get(1));
                }
                case "unregistervm" -> unregister(a.get(1));
                default -> ok("");
            };
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CommandResult snapshot(List<String> a) {
        Vm vm = find(a.get(1)).orElseThrow();
        if (a.get(2).equals("take")) {
            vm.snapshots.add(a.get(3));
        } else if (a.get(2).equals("delete")) {
            vm.snapshots.remove(a.get(3));
        }
        return fail(0, "", "0%...10%...100%\n");
    }

    private CommandResult cloneVm(List<String> a) throws IOException {
        Vm source = find(a.get(1)).orElseThrow();
        String name = a.get(a.indexOf("--name") + 1);
        String snapshot = a.get(a.indexOf("--snapshot") + 1);
        if (!source.snapshots.contains(snapshot)) {
            return errorBlock("Could not find a snapshot named '" + snapshot + "'", "VBOX_E_OBJECT_NOT_FOUND", "0x80bb0001");
        }
        Path folder = Path.of(a.get(a.indexOf("--basefolder") + 1)).resolve(name);
        Files.createDirectories(folder.resolve("Snapshots"));
        Files.writeString(folder.resolve(name + ".vbox"), "<VirtualBox/>");
        boolean linked = a.get(a.indexOf("--options") + 1).contains("link");
        if (linked) {
            Files.writeString(folder.resolve("Snapshots").resolve("{diff}.vdi"), "diff of " + source.name);
        } else {
            Files.writeString(folder.resolve(name + "-disk1.vdi"), "disk of " + source.name);
        }
        Files.writeString(folder.resolve("Snapshots").resolve("2026-11-30T12-00-00-000000000Z.sav"), "memory");
        Vm clone = register(name, uuid(++clones), folder, "saved");  // the snapshot was taken while running
        clone.rules.addAll(source.rules);
        clone.shares.addAll(source.shares);
        clone.dvd = source.dvd;
        return fail(0, "Machine has been successfully cloned as \"" + name + "\"\n", "0%...100%\n");
    }

    private CommandResult modifyVm(List<String> a) {
        Vm vm = find(a.get(1)).orElseThrow();
        for (int i = 2; i < a.size(); i++) {
            if (a.get(i).equals("--natpf1")) {
                String rule = a.get(++i);
                if (rule.equals("delete")) {
                    String name = a.get(++i);
                    vm.rules.removeIf(r -> r.startsWith(name + ","));
                } else {
                    vm.rules.add(rule);
                }
            } else if ((a.get(i).equals("--nic1") || a.get(i).equals("--memory")) && vm.state.equals("saved")) {
                return errorBlock("The machine is not mutable (state is Saved)", "VBOX_E_INVALID_VM_STATE", "0x80bb0002");
            }
        }
        return ok("");
    }

    private CommandResult unregister(String ref) throws IOException {
        Optional<Vm> vm = find(ref);
        if (vm.isEmpty()) {
            return notFound(ref);
        }
        vms.remove(vm.get().name);
        MasterVms.deleteTree(vm.get().folder);
        return fail(0, "", "0%...100%\n");
    }

    private static String info(Vm v) {
        StringBuilder b = new StringBuilder();
        b.append("name=\"").append(v.name).append("\"\nUUID=\"").append(v.uuid).append("\"\n");
        b.append("CfgFile=\"").append(v.folder.resolve(v.name + ".vbox")).append("\"\n");
        b.append("memory=2048\ncpus=2\nVMState=\"").append(v.state).append("\"\n");
        b.append("storagecontrollername0=\"SATA\"\nstoragecontrollertype0=\"IntelAhci\"\n");
        b.append("storagecontrollerportcount0=\"2\"\nstoragecontrollermaxportcount0=\"30\"\n");
        b.append("\"SATA-0-0\"=\"").append(v.folder.resolve(v.name + ".vdi")).append("\"\n");
        b.append("\"SATA-ImageUUID-0-0\"=\"dddddddd-0000-4000-8000-000000000001\"\n");
        b.append("\"SATA-1-0\"=\"").append(v.dvd == null ? "emptydrive" : v.dvd).append("\"\n");
        b.append("nic1=\"nat\"\n");
        for (int i = 0; i < v.rules.size(); i++) {
            b.append("Forwarding(").append(i).append(")=\"").append(v.rules.get(i)).append("\"\n");
        }
        for (int i = 0; i < v.shares.size(); i++) {
            b.append("SharedFolderNameMachineMapping").append(i + 1).append("=\"").append(v.shares.get(i)).append("\"\n");
        }
        return b.toString();
    }

    static CommandResult notFound(String vm) {
        return errorBlock("Could not find a registered machine named '" + vm + "'", "VBOX_E_OBJECT_NOT_FOUND", "0x80bb0001");
    }
}
