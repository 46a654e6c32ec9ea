package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.spi.HostPort;
import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.Firmware;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.virtualbox.internal.cli.CommandResult;
import io.vboxmcp.virtualbox.internal.cli.VBoxManageAdapter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.vboxmcp.virtualbox.internal.RecordingCommandRunner.errorBlock;
import static io.vboxmcp.virtualbox.internal.RecordingCommandRunner.fail;
import static io.vboxmcp.virtualbox.internal.RecordingCommandRunner.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The exact VBoxManage argv the driver sends for create, clone, configure, forward, share, start, stop and destroy,
 * once per version profile. Each profile answers {@code showvminfo} with that version's fixture, so the parts that
 * depend on the output (which NAT rules to delete, where the seed DVD goes, the 7.0.0 settings-file workaround)
 * follow the real formats.
 */
class VirtualBoxDriverSequenceTest {
    static final String MASTER_UUID = "aaaaaaaa-0000-4000-8000-000000000001";
    static final String CLONE_UUID = "bbbbbbbb-0000-4000-8000-000000000002";
    static final String DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static final String MASTER = "vboxmcp-master-0123456789abcdef";

    enum Profile {
        V7_0_0("7.0.0r154998", "showvminfo-7.0.0-sampleB.txt", "32583b48-693e-45d4-882f-e9196d4f43c6",
                List.of("ssh", "http"), null, "IDE Controller", 0, 0),
        V7_1_4("7.1.4r165100", "showvminfo-7.1-sampleC.txt", "0b8f3c7e-1111-2222-3333-444455556666",
                List.of("ssh", "http"), 2, "SATA Controller", 1, 0),
        V7_2_0("7.2.0r168464", "showvminfo-7.2-running-windows.txt", "11111111-2222-4333-8444-555566667777",
                List.of("ssh", "tcp8080"), 3, "SATA", 2, 0);

        final String version;
        final String fixture;
        final String diskUuid;
        final List<String> existingRules;
        final Integer growPortCountTo;
        final String dvdController;
        final int dvdPort;
        final int dvdDevice;

        Profile(String version, String fixture, String diskUuid, List<String> existingRules, Integer growPortCountTo,
                String dvdController, int dvdPort, int dvdDevice) {
            this.version = version;
            this.fixture = fixture;
            this.diskUuid = diskUuid;
            this.existingRules = existingRules;
            this.growPortCountTo = growPortCountTo;
            this.dvdController = dvdController;
            this.dvdPort = dvdPort;
            this.dvdDevice = dvdDevice;
        }
    }

    @TempDir
    Path tmp;
    Path masters;
    Path vmDir;
    Path image;
    Path cfgFile;
    final List<Duration> sleeps = new ArrayList<>();

    /** What the scripted VirtualBox currently holds. */
    Profile profile;
    boolean masterExists;
    boolean masterHasSnapshot;
    boolean cloned;
    String cloneState = "poweroff";
    boolean guestHonoursAcpi = true;
    final Map<String, CommandResult> failures = new HashMap<>();
    RecordingCommandRunner runner;
    /** qemu-img's argv; it "converts" by writing the output file, as the real one would. */
    RecordingCommandRunner qemuImg;
    Path vdiFolder;
    VdiCache vdis;

    @BeforeEach
    void setUp() throws Exception {
        masters = tmp.resolve("masters");
        vmDir = Files.createDirectories(tmp.resolve("vms").resolve("mcp-1"));
        image = tmp.resolve("ubuntu.vmdk");
        Files.write(image, new byte[] {1, 2, 3});
        cfgFile = tmp.resolve("mcp-1.vbox");
        Files.writeString(cfgFile, Fixtures.read("machine-7.0.0.vbox"));
        runner = new RecordingCommandRunner(this::answer);
        qemuImg = new RecordingCommandRunner(a -> {
            try {
                Files.writeString(Path.of(a.get(a.size() - 1)), "vdi");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return ok("");
        });
        Path qemuImgExe = Files.createFile(tmp.resolve("qemu-img"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
        vdiFolder = tmp.resolve("vdi");
        vdis = new VdiCache(qemuImgExe.toString(), vdiFolder, qemuImg, Duration.ofSeconds(5));
    }

    CommandResult answer(List<String> a) {
        String verb = a.get(0);
        if (failures.containsKey(verb)) {
            return failures.get(verb);
        }
        switch (verb) {
            case "--version":
                return ok(profile.version + "\n");
            case "showvminfo": {
                String vm = a.get(1);
                if (vm.equals(MASTER) || vm.equals(MASTER_UUID)) {
                    return masterExists ? ok(info(MASTER, MASTER_UUID, "poweroff")) : notFound(vm);
                }
                if ((vm.equals("mcp-1") || vm.equals(CLONE_UUID)) && cloned) {
                    String out = info("mcp-1", CLONE_UUID, cloneState);
                    if (cloneState.equals("acpi")) {
                        cloneState = guestHonoursAcpi ? "poweroff" : "running";
                    }
                    return ok(out);
                }
                return notFound(vm);
            }
            case "createvm":
                masterExists = true;
                return ok("Virtual machine '" + MASTER + "' is created and registered.\nUUID: " + MASTER_UUID
                        + "\nSettings file: '" + masters.resolve(MASTER).resolve(MASTER + ".vbox") + "'\n");
            case "import":
                masterExists = true;
                return fail(0, "", "0%...10%...100%\nSuccessfully imported the appliance.\n");
            case "snapshot":
                if (a.get(2).equals("take")) {
                    masterHasSnapshot = true;
                    return fail(0, "", "0%...100%\n");
                }
                return masterHasSnapshot ? ok("SnapshotName=\"base\"\nSnapshotUUID=\"7e5b4165-91ec-4091-a74c-a5709d584530\"\n")
                        : fail(1, "This machine does not have any snapshots\n", "");
            case "showmediuminfo":
                return ok(Fixtures.read("showmediuminfo-7.x.txt"));
            case "clonevm":
                cloned = true;
                return fail(0, "Machine has been successfully cloned as \"mcp-1\"\n", "0%...100%\n");
            case "startvm":
                cloneState = "running";
                return ok("Waiting for VM \"mcp-1\" to power on...\nVM \"mcp-1\" has been successfully started.\n");
            case "controlvm":
                cloneState = a.get(2).equals("poweroff") ? "poweroff" : "acpi";
                return ok("");
            case "unregistervm":
                cloned = false;
                return ok("");
            default:
                return ok("");
        }
    }

    String info(String name, String uuid, String state) {
        String shown = state.equals("acpi") ? "stopping" : state;
        return Fixtures.read(profile.fixture)
                .replaceFirst("(?m)^name=\".*\"$", "name=\"" + name + "\"")
                .replaceFirst("(?m)^UUID=\".*\"$", "UUID=\"" + uuid + "\"")
                .replaceFirst("(?m)^VMState=\".*\"$", "VMState=\"" + shown + "\"")
                .replace("@CFGFILE@", cfgFile.toString());
    }

    static CommandResult notFound(String vm) {
        return errorBlock("Could not find a registered machine named '" + vm + "'", "VBOX_E_OBJECT_NOT_FOUND", "0x80bb0001");
    }

    VirtualBoxDriver driver(boolean linked) {
        VBoxManageAdapter adapter = new VBoxManageAdapter("VBoxManage", runner, sleeps::add, Duration.ofSeconds(5),
                Duration.ofSeconds(5), w -> { });
        StubProviderContext ctx = new StubProviderContext(masters.resolveSibling("home"));
        return new VirtualBoxDriver(adapter, masters, null, linked, ctx.hostPorts(), ctx.seedWriter(), sleeps::add,
                Duration.ofMillis(100), null, vdis);
    }

    /** A port free now and held by no machine of this JVM (earlier tests' machines keep theirs: they are never destroyed). */
    static int freePort() throws Exception {
        try (HostPort p = new StubProviderContext(Path.of("unused")).hostPorts().allocate("127.0.0.1")) {
            return p.port();
        }
    }

    MachineSpec spec(String format, int diskMb, int sshPort, int httpPort) throws Exception {
        return spec(format, Firmware.ANY, diskMb, sshPort, httpPort);
    }

    MachineSpec spec(String format, Firmware firmware, int diskMb, int sshPort, int httpPort) throws Exception {
        TemplateDefinition t = new TemplateDefinition("python-dev", SemanticVersion.parse("1.0.0"), null, null,
                "ubuntu:22.04", 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(8080), List.of(),
                TemplateMetadata.EMPTY, Map.of());
        List<PlannedSharedFolder> shares = List.of(
                new PlannedSharedFolder("src", Files.createDirectories(tmp.resolve("src")), "/mnt/src", true),
                new PlannedSharedFolder("out", Files.createDirectories(tmp.resolve("out")), "/mnt/out", false));
        VmPlan plan = new VmPlan("mcp-1", t, DIGEST, null, "virtualbox", 2048, 2, diskMb,
                List.of(new PortForward(22, sshPort, "127.0.0.1"), new PortForward(8080, httpPort, "127.0.0.1")), shares);
        Path img = format.equals("ova") ? Files.write(tmp.resolve("box.ova"), new byte[] {9}) : image;
        return new MachineSpec(plan, vmDir, new BaseImage("ubuntu:22.04", img, format, DIGEST, null, null, null, firmware),
                "ssh-ed25519 AAAAtest vboxmcp", "vboxmcp", "iid-1234", ProgressListener.NONE);
    }

    List<List<String>> expectedConfigure(int ssh, int http) {
        List<List<String>> e = new ArrayList<>();
        e.add(List.of("modifyvm", CLONE_UUID, "--memory", "2048", "--cpus", "2"));
        e.add(List.of("showvminfo", CLONE_UUID, "--machinereadable"));
        List<String> del = new ArrayList<>(List.of("modifyvm", CLONE_UUID));
        profile.existingRules.forEach(r -> del.addAll(List.of("--natpf1", "delete", r)));
        e.add(del);
        e.add(List.of("modifyvm", CLONE_UUID, "--nic1", "nat", "--natpf1", "ssh,tcp,127.0.0.1," + ssh + ",,22",
                "--natpf1", "tcp8080,tcp,127.0.0.1," + http + ",,8080"));
        e.add(List.of("sharedfolder", "add", CLONE_UUID, "--name", "src", "--hostpath", tmp.resolve("src").toString(),
                "--readonly"));
        e.add(List.of("sharedfolder", "add", CLONE_UUID, "--name", "out", "--hostpath", tmp.resolve("out").toString()));
        e.add(List.of("showvminfo", CLONE_UUID, "--machinereadable"));
        if (profile.growPortCountTo != null) {
            e.add(List.of("storagectl", CLONE_UUID, "--name", profile.dvdController, "--portcount",
                    String.valueOf(profile.growPortCountTo)));
        }
        e.add(List.of("storageattach", CLONE_UUID, "--storagectl", profile.dvdController, "--port",
                String.valueOf(profile.dvdPort), "--device", String.valueOf(profile.dvdDevice), "--type", "dvddrive",
                "--medium", vmDir.resolve("seed.iso").toString()));
        e.add(List.of("modifyvm", CLONE_UUID, "--uart1", "0x3F8", "4", "--uartmode1", "file",
                vmDir.resolve("console.log").toString()));
        return e;
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void create_firstVmFromDiskImage_registersMasterSnapshotsAndLinkedClones(Profile p) throws Exception {
        profile = p;
        int ssh = freePort();
        int http = freePort();
        Machine m = driver(true).create(spec("vmdk", 10240, ssh, http));

        Path vdi = masters.resolve(MASTER).resolve(MASTER + ".vdi");
        List<List<String>> expected = new ArrayList<>(List.of(
                List.of("--version"),
                List.of("showvminfo", "mcp-1", "--machinereadable"),
                List.of("showvminfo", MASTER, "--machinereadable"),
                List.of("createvm", "--name", MASTER, "--basefolder", masters.toString(), "--ostype", "Linux_64", "--register"),
                List.of("clonemedium", "disk", image.toString(), vdi.toString(), "--format", "VDI"),
                List.of("storagectl", MASTER_UUID, "--name", "SATA", "--add", "sata", "--portcount", "2", "--bootable", "on"),
                List.of("storageattach", MASTER_UUID, "--storagectl", "SATA", "--port", "0", "--device", "0", "--type",
                        "hdd", "--medium", vdi.toString()),
                List.of("modifyvm", MASTER_UUID, "--ioapic", "on", "--rtcuseutc", "on", "--nic1", "nat"),
                List.of("snapshot", MASTER, "list", "--machinereadable"),
                List.of("snapshot", MASTER, "take", "base"),
                List.of("showvminfo", MASTER, "--machinereadable"),
                List.of("showmediuminfo", "disk", p.diskUuid),
                List.of("clonevm", MASTER, "--name", "mcp-1", "--register", "--snapshot", "base", "--options", "link",
                        "--basefolder", vmDir.toString()),
                List.of("showvminfo", "mcp-1", "--machinereadable")));
        expected.addAll(expectedConfigure(ssh, http));
        assertThat(runner.commands()).containsExactlyElementsOf(expected);
        assertThat(runner.envs()).allSatisfy(env -> assertThat(env).containsEntry("LC_ALL", "C").containsEntry("LANG", "C"));

        assertThat(m.sshHost()).isEqualTo("127.0.0.1");
        assertThat(m.sshPort()).isEqualTo(ssh);
        assertThat(m.ports()).isEqualTo(Map.of(22, ssh, 8080, http));
        assertThat(m.attributes()).containsEntry("uuid", CLONE_UUID).containsEntry("master", MASTER)
                .containsEntry("linkedClone", "true").containsEntry("adapter", "vboxmanage");
        assertThat(vmDir.resolve("seed.iso")).exists();
        assertThat(driver(true).find("mcp-1", vmDir)).contains(m);
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void create_qcow2Image_convertsToVdiOnceAndRegistersTheMasterFromTheVdi(Profile p) throws Exception {
        profile = p;
        driver(true).create(spec("qcow2", 512, freePort(), freePort()));

        Path cached = vdiFolder.resolve("sha256-" + DIGEST.substring(7) + ".vdi");
        assertThat(qemuImg.commands()).hasSize(1);
        List<String> convert = qemuImg.commands().get(0);
        assertThat(convert.subList(0, convert.size() - 1)).containsExactly("convert", "-q", "-f", "qcow2", "-O", "vdi",
                image.toString());
        assertThat(Path.of(convert.get(convert.size() - 1)).getParent()).as("converted beside the target").isEqualTo(vdiFolder);
        assertThat(cached).hasContent("vdi");
        try (var files = Files.list(vdiFolder)) {
            assertThat(files.map(f -> f.getFileName().toString())).as("no temporary file left")
                    .containsExactlyInAnyOrder(cached.getFileName().toString(), cached.getFileName() + ".lock");
        }
        Path vdi = masters.resolve(MASTER).resolve(MASTER + ".vdi");
        assertThat(runner.commands().subList(3, 8)).containsExactly(
                List.of("createvm", "--name", MASTER, "--basefolder", masters.toString(), "--ostype", "Linux_64", "--register"),
                List.of("clonemedium", "disk", cached.toString(), vdi.toString(), "--format", "VDI"),
                List.of("storagectl", MASTER_UUID, "--name", "SATA", "--add", "sata", "--portcount", "2", "--bootable", "on"),
                List.of("storageattach", MASTER_UUID, "--storagectl", "SATA", "--port", "0", "--device", "0", "--type",
                        "hdd", "--medium", vdi.toString()),
                List.of("modifyvm", MASTER_UUID, "--ioapic", "on", "--rtcuseutc", "on", "--nic1", "nat"));

        // the master is gone (say, removed by hand): registering it again reuses the VDI of this digest
        masterExists = false;
        masterHasSnapshot = false;
        cloned = false;
        Files.delete(vmDir.resolve("seed.iso"));
        MachineRecord.delete(vmDir);
        runner.clear();
        driver(true).create(spec("qcow2", 512, freePort(), freePort()));
        assertThat(qemuImg.commands()).as("converted once per digest").hasSize(1);
        assertThat(runner.commands()).contains(List.of("clonemedium", "disk", cached.toString(), vdi.toString(), "--format", "VDI"));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"raw", "vhdx"})
    void create_rawAndVhdxImages_areConvertedByQemuImgToo(String format) throws Exception {
        profile = Profile.V7_2_0;
        driver(true).create(spec(format, 512, freePort(), freePort()));
        assertThat(qemuImg.commands().get(0).subList(0, 6)).containsExactly("convert", "-q", "-f", format, "-O", "vdi");
        assertThat(runner.commands()).noneMatch(c -> c.get(0).equals("convertfromraw"));
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void create_uefiImage_switchesTheMasterToEfiBeforeItsSnapshot(Profile p) throws Exception {
        profile = p;
        driver(true).create(spec("vmdk", Firmware.UEFI, 512, freePort(), freePort()));
        assertThat(runner.commands().subList(7, 10)).containsExactly(
                List.of("modifyvm", MASTER_UUID, "--ioapic", "on", "--rtcuseutc", "on", "--nic1", "nat"),
                List.of("modifyvm", MASTER, "--firmware", "efi"),
                List.of("snapshot", MASTER, "list", "--machinereadable"));
        assertThat(qemuImg.commands()).as("VirtualBox reads vmdk itself").isEmpty();
    }

    @Test
    void create_uefiImageWhoseFirmwareSwitchFails_removesTheHalfMadeMaster() throws Exception {
        profile = Profile.V7_1_4;
        int[] modifyvm = {0};
        RecordingCommandRunner r = new RecordingCommandRunner(a -> a.get(0).equals("modifyvm") && ++modifyvm[0] == 2
                ? errorBlock("Invalid firmware type", "E_INVALIDARG", "0x80070057") : answer(a));
        runner = r;
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                () -> driver(true).create(spec("vmdk", Firmware.UEFI, 512, freePort(), freePort())));
        assertThat(e.getMessage()).contains("Invalid firmware type");
        assertThat(r.commands()).contains(List.of("unregistervm", MASTER, "--delete"));
        assertThat(r.commands()).noneMatch(c -> c.get(0).equals("snapshot") && c.contains("take"));
    }

    @Test
    void create_qcow2WithoutQemuImg_isTypedErrorNamingThePackage() throws Exception {
        profile = Profile.V7_1_4;
        vdis = new VdiCache(tmp.resolve("no-such-qemu-img").toString(), vdiFolder, qemuImg, Duration.ofSeconds(5));
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                () -> driver(true).create(spec("qcow2", 512, freePort(), freePort())));
        assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
        assertThat(e.getMessage()).contains("qemu-utils").contains("virtualbox.qemuImg");
        assertThat(qemuImg.commands()).isEmpty();
        assertThat(vdiFolder).doesNotExist();
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void create_secondVmFromSameTemplate_onlyClones(Profile p) throws Exception {
        profile = p;
        masterExists = true;
        masterHasSnapshot = true;
        int ssh = freePort();
        int http = freePort();
        driver(true).create(spec("vmdk", 512, ssh, http));
        List<List<String>> expected = new ArrayList<>(List.of(
                List.of("--version"),
                List.of("showvminfo", "mcp-1", "--machinereadable"),
                List.of("showvminfo", MASTER, "--machinereadable"),
                List.of("snapshot", MASTER, "list", "--machinereadable"),
                List.of("showvminfo", MASTER, "--machinereadable"),
                List.of("showmediuminfo", "disk", p.diskUuid),
                List.of("clonevm", MASTER, "--name", "mcp-1", "--register", "--snapshot", "base", "--options", "link",
                        "--basefolder", vmDir.toString()),
                List.of("showvminfo", "mcp-1", "--machinereadable")));
        expected.addAll(expectedConfigure(ssh, http));
        assertThat(runner.commands()).containsExactlyElementsOf(expected);
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void create_biggerDiskThanTemplate_makesFullCloneAndGrowsIt(Profile p) throws Exception {
        profile = p;
        masterExists = true;
        masterHasSnapshot = true;
        driver(true).create(spec("vmdk", 20480, freePort(), freePort()));
        List<List<String>> cmds = runner.commands();
        assertThat(cmds).contains(List.of("clonevm", MASTER, "--name", "mcp-1", "--register", "--snapshot", "base",
                "--basefolder", vmDir.toString()));
        int mem = cmds.indexOf(List.of("modifyvm", CLONE_UUID, "--memory", "2048", "--cpus", "2"));
        assertThat(cmds.subList(mem + 1, mem + 4)).containsExactly(
                List.of("showvminfo", CLONE_UUID, "--machinereadable"),
                List.of("modifymedium", "disk", p.diskUuid, "--resize", "20480"),
                List.of("showvminfo", CLONE_UUID, "--machinereadable"));
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void create_fromOvaAppliance_importsTheMaster(Profile p) throws Exception {
        profile = p;
        driver(true).create(spec("ova", 512, freePort(), freePort()));
        assertThat(runner.commands().subList(3, 6)).containsExactly(
                List.of("import", tmp.resolve("box.ova").toString(), "--vsys", "0", "--vmname", MASTER, "--vsys", "0",
                        "--basefolder", masters.toString()),
                List.of("showvminfo", MASTER, "--machinereadable"),
                List.of("snapshot", MASTER, "list", "--machinereadable"));
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void start_stop_destroy_exactCommands(Profile p) throws Exception {
        profile = p;
        masterExists = true;
        masterHasSnapshot = true;
        VirtualBoxDriver d = driver(true);
        Machine m = d.create(spec("vmdk", 512, freePort(), freePort()));

        runner.clear();
        d.start(m);
        assertThat(runner.commands()).containsExactly(
                List.of("showvminfo", CLONE_UUID, "--machinereadable"),
                List.of("startvm", CLONE_UUID, "--type", "headless"));
        assertThat(d.state(m)).isEqualTo(VmState.RUNNING);

        runner.clear();
        d.stop(m, Duration.ofSeconds(30));
        assertThat(runner.commands()).as("graceful stop: ACPI, then poll until powered off").containsExactly(
                List.of("showvminfo", CLONE_UUID, "--machinereadable"),
                List.of("controlvm", CLONE_UUID, "acpipowerbutton"),
                List.of("showvminfo", CLONE_UUID, "--machinereadable"),
                List.of("showvminfo", CLONE_UUID, "--machinereadable"));
        assertThat(d.state(m)).isEqualTo(VmState.STOPPED);

        d.start(m);
        guestHonoursAcpi = false;
        runner.clear();
        d.stop(m, Duration.ZERO);
        assertThat(runner.commands()).as("the guest ignores ACPI: power off after the grace").containsExactly(
                List.of("showvminfo", CLONE_UUID, "--machinereadable"),
                List.of("controlvm", CLONE_UUID, "acpipowerbutton"),
                List.of("showvminfo", CLONE_UUID, "--machinereadable"),
                List.of("controlvm", CLONE_UUID, "poweroff"),
                List.of("showvminfo", CLONE_UUID, "--machinereadable"));

        d.start(m);
        runner.clear();
        d.destroy(m);
        assertThat(runner.commands()).as("destroying a running VM").containsExactly(
                List.of("showvminfo", CLONE_UUID, "--machinereadable"),
                List.of("controlvm", CLONE_UUID, "poweroff"),
                List.of("showvminfo", CLONE_UUID, "--machinereadable"),
                List.of("unregistervm", CLONE_UUID, "--delete"));
        assertThat(vmDir.resolve("seed.iso")).doesNotExist();
        assertThat(d.find("mcp-1", vmDir)).isEmpty();
        assertThat(d.state(m)).isEqualTo(VmState.DESTROYED);

        runner.clear();
        d.destroy(m);
        assertThat(runner.commands()).as("destroy again: nothing to do")
                .containsExactly(List.of("showvminfo", CLONE_UUID, "--machinereadable"));
    }

    @Test
    void create_failingStep_removesTheCloneAndItsFiles() throws Exception {
        profile = Profile.V7_1_4;
        masterExists = true;
        masterHasSnapshot = true;
        failures.put("sharedfolder", errorBlock("Shared folder named 'src' already exists", "VBOX_E_OBJECT_IN_USE",
                "0x80bb000c"));
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                () -> driver(true).create(spec("vmdk", 512, freePort(), freePort())));
        assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
        assertThat(e.getMessage()).contains("sharedfolder").contains("already exists").contains("VBOX_E_OBJECT_IN_USE");
        assertThat(runner.commands()).last().isEqualTo(List.of("unregistervm", CLONE_UUID, "--delete"));
        assertThat(cloned).isFalse();
        try (var files = Files.list(vmDir)) {
            assertThat(files).as("nothing left in the VM folder").isEmpty();
        }
    }

    @Test
    void create_existingName_isVmExistsAndChangesNothing() throws Exception {
        profile = Profile.V7_2_0;
        cloned = true;
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                () -> driver(true).create(spec("vmdk", 512, 0, 0)));
        assertThat(e.code()).isEqualTo(ErrorCode.VM_EXISTS);
        assertThat(runner.commands()).containsExactly(List.of("--version"), List.of("showvminfo", "mcp-1", "--machinereadable"));
    }

    @Test
    void create_takenExplicitHostPort_failsBeforeTouchingVirtualBox() throws Exception {
        profile = Profile.V7_1_4;
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                    () -> driver(true).create(spec("vmdk", 512, 0, taken.getLocalPort())));
            assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
            assertThat(e.getMessage()).contains(String.valueOf(taken.getLocalPort())).contains("already in use");
        }
        assertThat(runner.commands()).noneMatch(c -> !c.get(0).equals("--version") && !c.get(0).equals("showvminfo"));
    }

    @Test
    void create_onUnsupportedVersion_refusesBeforeAnythingElse() throws Exception {
        profile = Profile.V7_1_4;
        failures.put("--version", ok("6.1.50r161033\n"));
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                () -> driver(true).create(spec("vmdk", 512, 0, 0)));
        assertThat(e.getMessage()).contains("6.1.50").contains("7.0 or newer");
        assertThat(runner.commands()).containsExactly(List.of("--version"));
    }

    @Test
    void sessionLock_isRetried_otherErrorsAreNot() throws Exception {
        profile = Profile.V7_1_4;
        int[] calls = {0};
        RecordingCommandRunner r = new RecordingCommandRunner(a -> {
            if (a.get(0).equals("modifyvm") && calls[0]++ < 2) {
                return errorBlock("The machine 'mcp-1' is already locked by a session (or being locked or unlocked)",
                        "VBOX_E_INVALID_OBJECT_STATE", "0x80bb0007");
            }
            return answer(a);
        });
        VBoxManageAdapter adapter = new VBoxManageAdapter("VBoxManage", r, sleeps::add, Duration.ofSeconds(5),
                Duration.ofSeconds(5), w -> { });
        adapter.setResources(CLONE_UUID, 1024, 1);
        assertThat(r.commands()).filteredOn(c -> c.get(0).equals("modifyvm")).hasSize(3);
        assertThat(sleeps).containsExactly(Duration.ofMillis(500), Duration.ofMillis(1000));

        failures.put("startvm", errorBlock("VT-x is not available (VERR_VMX_NO_VMX)", "E_FAIL", "0x80004005"));
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> adapter.start(CLONE_UUID));
        assertThat(e.getMessage()).contains("VT-x is not available");
        assertThat(r.commands()).filteredOn(c -> c.get(0).equals("startvm")).hasSize(1);
    }

    @Test
    void exitZeroWithErrorBlock_isAFailure_andStartvmSuccessLineWinsOverExit1() throws Exception {
        profile = Profile.V7_1_4;
        VBoxManageAdapter adapter = new VBoxManageAdapter("VBoxManage", runner, sleeps::add, Duration.ofSeconds(5),
                Duration.ofSeconds(5), w -> { });
        failures.put("modifyvm", fail(0, "", "VBoxManage: error: VT-x is not available (VERR_VMX_NO_VMX)\n"));
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> adapter.setResources("x", 1, 1));
        assertThat(e.getMessage()).contains("VERR_VMX_NO_VMX");
        failures.put("startvm", fail(1, "Waiting for VM \"x\" to power on...\nVM \"x\" has been successfully started.\n", ""));
        adapter.start("x");
    }

    @Test
    void guestMountCommand_usesVboxsfAndHonoursReadOnly() throws Exception {
        profile = Profile.V7_1_4;
        VirtualBoxDriver d = driver(true);
        Machine m = new Machine("mcp-1", "virtualbox", vmDir, "127.0.0.1", 2222, Map.of(), Map.of());
        assertThat(d.guestMountCommand(m, new PlannedSharedFolder("src", tmp, "/mnt/my src", true)))
                .isEqualTo("mkdir -p '/mnt/my src' && mount -t vboxsf -o ro 'src' '/mnt/my src'");
        assertThat(d.guestMountCommand(m, new PlannedSharedFolder("it's", tmp, "/mnt/w", false)))
                .isEqualTo("mkdir -p '/mnt/w' && mount -t vboxsf -o rw 'it'\\''s' '/mnt/w'");
    }

    @Test
    void stateMapping_coversVBoxManageStates() {
        assertThat(VirtualBoxDriver.map("running")).isEqualTo(VmState.RUNNING);
        assertThat(VirtualBoxDriver.map("paused")).isEqualTo(VmState.RUNNING);
        assertThat(VirtualBoxDriver.map("poweroff")).isEqualTo(VmState.STOPPED);
        assertThat(VirtualBoxDriver.map("aborted")).isEqualTo(VmState.STOPPED);
        assertThat(VirtualBoxDriver.map("aborted-saved")).isEqualTo(VmState.STOPPED);
        assertThat(VirtualBoxDriver.map("gurumeditation")).isEqualTo(VmState.FAILED);
        assertThat(VirtualBoxDriver.map("settingup")).isEqualTo(VmState.UNKNOWN);
    }
}
