package io.vboxmcp.virtualbox.internal.cli;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.virtualbox.internal.NatRule;
import io.vboxmcp.virtualbox.internal.VBoxVersion;
import io.vboxmcp.virtualbox.internal.VirtualBoxPort;
import io.vboxmcp.virtualbox.internal.VmInfo;
import io.vboxmcp.virtualbox.internal.VmRef;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The default adapter: drives the {@code VBoxManage} command line, the way Vagrant and Packer do. This class is the
 * verbs; {@link VBoxManageCommands} runs them: every command with a C locale (VBoxManage translates its output since
 * 7.0), failing on a non-zero exit or an error block on stderr, retried only when another session holds the
 * machine's lock, and serialised with every other command for the same machine.
 */
public final class VBoxManageAdapter implements VirtualBoxPort {
    /** Forces untranslated output; VBoxManage reads these like any IPRT program. */
    public static final Map<String, String> ENV = Map.of("LC_ALL", "C", "LANG", "C", "LANGUAGE", "C");
    static final int LOCK_ATTEMPTS = 5;
    private static final Pattern CREATED_UUID = Pattern.compile("(?m)^UUID: ([0-9a-fA-F-]{36})\\s*$");
    private static final Pattern CAPACITY = Pattern.compile("(?m)^Capacity:\\s+(\\d+) MBytes");
    private static final Pattern SHARE_NAME = Pattern.compile("^[^\\s,]+$");

    private final VBoxManageCommands commands;
    private final Duration timeout;
    private final Duration longTimeout;

    /**
     * @param executable  path or name of VBoxManage
     * @param timeout     for ordinary commands
     * @param longTimeout for import, clone and disk copies
     * @param warnings    receives each {@code WARNING:} paragraph of {@code --version} once
     */
    public VBoxManageAdapter(String executable, CommandRunner runner, Sleeper sleeper, Duration timeout,
                             Duration longTimeout, Consumer<String> warnings) {
        this.commands = new VBoxManageCommands(executable, runner, sleeper, timeout, warnings);
        this.timeout = timeout;
        this.longTimeout = longTimeout;
    }

    @Override
    public String adapterId() {
        return "vboxmanage";
    }

    @Override
    public VBoxVersion version() throws VboxmcpException {
        return commands.version();
    }

    @Override
    public List<VmRef> listVms() throws VboxmcpException {
        return VmRef.parseList(vbox(null, timeout, null, "list", "vms").stdout());
    }

    @Override
    public Optional<VmStatus> status(String vm) throws VboxmcpException {
        return info(vm).map(i -> new VmStatus(i.name().orElse(vm), i.uuid().orElse(""),
                i.inaccessible() ? "unknown" : i.state().orElse("unknown")));
    }

    @Override
    public Optional<VmInfo> info(String vm) throws VboxmcpException {
        try {
            return Optional.of(VmInfo.parse(vbox(vm, timeout, null, "showvminfo", vm, "--machinereadable").stdout()));
        } catch (VBoxManageException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public List<String> snapshots(String vm) throws VboxmcpException {
        // With no snapshots VBoxManage prints "This machine does not have any snapshots" and (believed) exits 1.
        Predicate<CommandResult> none = r -> (r.stdout() + r.stderr()).contains("does not have any snapshots");
        CommandResult r = vbox(vm, timeout, none, "snapshot", vm, "list", "--machinereadable");
        return none.test(r) ? List.of() : VmInfo.parse(r.stdout()).snapshotNames();
    }

    @Override
    public String importAppliance(Path appliance, String name, Path baseFolder) throws VboxmcpException {
        vbox(name, longTimeout, null, "import", appliance.toAbsolutePath().toString(), "--vsys", "0", "--vmname", name,
                "--vsys", "0", "--basefolder", baseFolder.toAbsolutePath().toString());
        return uuidOf(name);
    }

    @Override
    public String createFromDisk(String name, Path disk, String diskFormat, Path baseFolder) throws VboxmcpException {
        CommandResult created = vbox(name, timeout, null, "createvm", "--name", name, "--basefolder",
                baseFolder.toAbsolutePath().toString(), "--ostype", "Linux_64", "--register");
        Matcher m = CREATED_UUID.matcher(created.stdout());
        String uuid = m.find() ? m.group(1) : uuidOf(name);
        Path target = baseFolder.toAbsolutePath().resolve(name).resolve(name + ".vdi");
        try {
            if ("raw".equalsIgnoreCase(diskFormat)) {
                vbox(uuid, longTimeout, null, "convertfromraw", disk.toAbsolutePath().toString(), target.toString(),
                        "--format", "VDI");
            } else {
                vbox(uuid, longTimeout, null, "clonemedium", "disk", disk.toAbsolutePath().toString(), target.toString(),
                        "--format", "VDI");
            }
            vbox(uuid, timeout, null, "storagectl", uuid, "--name", "SATA", "--add", "sata", "--portcount", "2",
                    "--bootable", "on");
            vbox(uuid, timeout, null, "storageattach", uuid, "--storagectl", "SATA", "--port", "0", "--device", "0",
                    "--type", "hdd", "--medium", target.toString());
            vbox(uuid, timeout, null, "modifyvm", uuid, "--ioapic", "on", "--rtcuseutc", "on", "--nic1", "nat");
            return uuid;
        } catch (VboxmcpException e) {
            try {
                delete(uuid);
                Files.deleteIfExists(target);
            } catch (VboxmcpException | java.io.IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    @Override
    public void useEfiFirmware(String vm) throws VboxmcpException {
        vbox(vm, timeout, null, "modifyvm", vm, "--firmware", "efi");
    }

    @Override
    public void takeSnapshot(String vm, String snapshot) throws VboxmcpException {
        vbox(vm, longTimeout, null, "snapshot", vm, "take", snapshot);
    }

    @Override
    public String cloneVm(String source, String snapshot, boolean linked, String name, Path baseFolder)
            throws VboxmcpException {
        if (linked && snapshot == null) {
            throw new HypervisorException(ErrorCode.INTERNAL, "a linked clone needs a snapshot", null);
        }
        return clone(source, snapshot, linked ? "link" : null, name, baseFolder);
    }

    @Override
    public String cloneSavedState(String source, String snapshot, boolean linked, String name, Path baseFolder)
            throws VboxmcpException {
        return clone(source, snapshot, linked ? "link,keepnatmacs" : "keepnatmacs", name, baseFolder);
    }

    private String clone(String source, String snapshot, String options, String name, Path baseFolder)
            throws VboxmcpException {
        List<String> args = new ArrayList<>(List.of("clonevm", source, "--name", name, "--register"));
        if (snapshot != null) {
            args.addAll(List.of("--snapshot", snapshot));
        }
        if (options != null) {
            args.addAll(List.of("--options", options));
        }
        args.addAll(List.of("--basefolder", baseFolder.toAbsolutePath().toString()));
        vbox(source, longTimeout, null, args.toArray(String[]::new));
        return uuidOf(name);
    }

    @Override
    public void setResources(String vm, int memoryMb, int cpus) throws VboxmcpException {
        vbox(vm, timeout, null, "modifyvm", vm, "--memory", String.valueOf(memoryMb), "--cpus", String.valueOf(cpus));
    }

    @Override
    public java.util.OptionalLong primaryDiskCapacityMb(String vm) throws VboxmcpException {
        CommandResult r = vbox(vm, timeout, null, "showmediuminfo", "disk", primaryDisk(vm));
        Matcher m = CAPACITY.matcher(r.stdout());
        return m.find() ? java.util.OptionalLong.of(Long.parseLong(m.group(1))) : java.util.OptionalLong.empty();
    }

    @Override
    public void resizePrimaryDisk(String vm, int diskMb) throws VboxmcpException {
        vbox(vm, longTimeout, null, "modifymedium", "disk", primaryDisk(vm), "--resize", String.valueOf(diskMb));
    }

    private String primaryDisk(String vm) throws VboxmcpException {
        VmInfo info = info(vm).orElseThrow(() -> notFound(vm));
        VmInfo.Attachment disk = info.attachments().stream().filter(VmInfo.Attachment::disk).findFirst()
                .orElseThrow(() -> new HypervisorException("machine " + vm + " has no disk"));
        return disk.imageUuid() != null ? disk.imageUuid() : disk.medium();
    }

    @Override
    public void serialConsoleToFile(String vm, Path file) throws VboxmcpException {
        vbox(vm, timeout, null, "modifyvm", vm, "--uart1", "0x3F8", "4", "--uartmode1", "file",
                file.toAbsolutePath().toString());
    }

    @Override
    public void replaceForwards(String vm, List<NatRule> rules) throws VboxmcpException {
        replaceRules(vm, rules, true);
    }

    @Override
    public void replaceNatRules(String vm, List<NatRule> rules) throws VboxmcpException {
        replaceRules(vm, rules, false);
    }

    /** @param attachNat also make NIC 1 a NAT adapter (not allowed on a saved machine) */
    private void replaceRules(String vm, List<NatRule> rules, boolean attachNat) throws VboxmcpException {
        VmInfo info = info(vm).orElseThrow(() -> notFound(vm));
        List<NatRule> existing = info.forwards().stream().filter(r -> r.nic() == 1).toList();
        if (version().forwardListingBroken() && info.cfgFile().isPresent()) {
            try {
                existing = SettingsFileForwards.read(Path.of(info.cfgFile().get()));
            } catch (Exception e) {
                throw new HypervisorException("could not read the NAT rules of " + vm + " from "
                        + info.cfgFile().get() + " (needed on VirtualBox 7.0.0)", e);
            }
        }
        if (!existing.isEmpty()) {
            List<String> del = new ArrayList<>(List.of("modifyvm", vm));
            existing.forEach(r -> del.addAll(List.of("--natpf1", "delete", r.name())));
            vbox(vm, timeout, null, del.toArray(String[]::new));
        }
        List<String> add = new ArrayList<>(List.of("modifyvm", vm));
        if (attachNat) {
            add.addAll(List.of("--nic1", "nat"));
        }
        rules.forEach(r -> add.addAll(List.of("--natpf1", r.spec())));
        vbox(vm, timeout, null, add.toArray(String[]::new));
    }

    @Override
    public void addSharedFolder(String vm, String name, Path hostPath, boolean readOnly) throws VboxmcpException {
        if (!SHARE_NAME.matcher(name).matches()) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT,
                    "VirtualBox shared folder names cannot contain spaces or commas: '" + name + "'", null);
        }
        if (!hostPath.isAbsolute()) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "shared folder host path must be absolute: "
                    + hostPath, null);
        }
        List<String> args = new ArrayList<>(List.of("sharedfolder", "add", vm, "--name", name, "--hostpath",
                hostPath.toString()));
        if (readOnly) {
            args.add("--readonly");
        }
        vbox(vm, timeout, null, args.toArray(String[]::new));
    }

    @Override
    public void attachDvd(String vm, Path iso) throws VboxmcpException {
        VmInfo info = info(vm).orElseThrow(() -> notFound(vm));
        List<VmInfo.Attachment> slots = info.attachments();
        for (VmInfo.Controller c : info.controllers()) {
            if (c.ide()) {
                for (int port = 0; port < 2; port++) {
                    for (int dev = 0; dev < 2; dev++) {
                        if (free(slots, c.name(), port, dev)) {
                            storageAttachDvd(vm, c.name(), port, dev, iso);
                            return;
                        }
                    }
                }
            }
        }
        for (VmInfo.Controller c : info.controllers()) {
            if (c.sata()) {
                int max = c.maxPortCount() > 0 ? c.maxPortCount() : 30;
                for (int port = 0; port < max; port++) {
                    if (free(slots, c.name(), port, 0)) {
                        if (port >= c.portCount()) {
                            vbox(vm, timeout, null, "storagectl", vm, "--name", c.name(), "--portcount",
                                    String.valueOf(port + 1));
                        }
                        storageAttachDvd(vm, c.name(), port, 0, iso);
                        return;
                    }
                }
            }
        }
        vbox(vm, timeout, null, "storagectl", vm, "--name", "IDE", "--add", "ide");
        storageAttachDvd(vm, "IDE", 0, 0, iso);
    }

    private static boolean free(List<VmInfo.Attachment> slots, String ctl, int port, int dev) {
        return slots.stream().noneMatch(a -> a.controller().equals(ctl) && a.port() == port && a.device() == dev
                && !a.empty());
    }

    private void storageAttachDvd(String vm, String ctl, int port, int dev, Path iso) throws VboxmcpException {
        changeDvd(vm, ctl, port, dev, iso);
    }

    @Override
    public void takeLiveSnapshot(String vm, String snapshot) throws VboxmcpException {
        vbox(vm, longTimeout, null, "snapshot", vm, "take", snapshot, "--live");
    }

    @Override
    public void deleteSnapshot(String vm, String snapshot) throws VboxmcpException {
        vbox(vm, longTimeout, null, "snapshot", vm, "delete", snapshot);
    }

    @Override
    public void consoleToFile(String vm, Path file) throws VboxmcpException {
        vbox(vm, timeout, null, "modifyvm", vm, "--uartmode1", "file", file.toAbsolutePath().toString());
    }

    @Override
    public void changeDvd(String vm, String controller, int port, int device, Path iso) throws VboxmcpException {
        vbox(vm, timeout, null, "storageattach", vm, "--storagectl", controller, "--port", String.valueOf(port),
                "--device", String.valueOf(device), "--type", "dvddrive", "--medium",
                iso == null ? "emptydrive" : iso.toAbsolutePath().toString());
    }

    @Override
    public void start(String vm) throws VboxmcpException {
        // Vagrant: some hosts exit 1 although the VM started; the success line is the truth.
        vbox(vm, longTimeout, r -> r.stdout().contains("has been successfully started"),
                "startvm", vm, "--type", "headless");
    }

    @Override
    public void acpiShutdown(String vm) throws VboxmcpException {
        vbox(vm, timeout, null, "controlvm", vm, "acpipowerbutton");
    }

    @Override
    public void powerOff(String vm) throws VboxmcpException {
        try {
            vbox(vm, timeout, null, "controlvm", vm, "poweroff");
        } catch (VBoxManageException e) {
            if (e.isNotFound() || e.block().message().contains("is not currently running")
                    || "VBOX_E_INVALID_VM_STATE".equals(e.block().code())) {
                return;
            }
            throw e;
        }
    }

    @Override
    public void delete(String vm) throws VboxmcpException {
        try {
            vbox(vm, longTimeout, null, "unregistervm", vm, "--delete");
        } catch (VBoxManageException e) {
            if (!e.isNotFound()) {
                throw e;
            }
        }
    }

    private String uuidOf(String name) throws VboxmcpException {
        return info(name).flatMap(VmInfo::uuid).orElseThrow(() -> new HypervisorException(
                "VirtualBox reported success but machine '" + name + "' is not registered"));
    }

    private static HypervisorException notFound(String vm) {
        return new HypervisorException(ErrorCode.VM_NOT_FOUND, "no VirtualBox machine '" + vm + "'", null);
    }

    /** Runs one VBoxManage command for {@code vm} (null: not about one machine); see {@link VBoxManageCommands}. */
    private CommandResult vbox(String vm, Duration t, Predicate<CommandResult> successIf, String... args)
            throws VboxmcpException {
        return commands.run(vm, t, successIf, args);
    }
}
