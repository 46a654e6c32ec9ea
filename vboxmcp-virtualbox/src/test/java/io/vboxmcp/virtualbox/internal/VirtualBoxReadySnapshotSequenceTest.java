package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.core.internal.snapshot.SnapshotCache;
import io.vboxmcp.core.internal.snapshot.SnapshotKey;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.spi.ReadySnapshotSupport;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.virtualbox.internal.cli.VBoxManageAdapter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.vboxmcp.virtualbox.internal.RecordingCommandRunner.errorBlock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The exact VBoxManage argv of VirtualBox ready snapshots (VirtualBox 7.1 profile, {@link ScriptedVirtualBox}): the
 * save (live snapshot, full clone into a frozen template VM, the user's VM given back as it was), the restore (linked
 * clone of the template's {@code ready} snapshot, NAT rules and console moved while it is saved, resumed by
 * {@code startvm}, its own seed), the destroy of a clone (the template untouched), the release on prune (template
 * removed once no clone depends on it) and every refusal that makes the manager fall back to a cold create.
 */
class VirtualBoxReadySnapshotSequenceTest {
    static final String USER = "aaaaaaaa-0000-4000-8000-00000000000a";
    static final String TEMPLATE = "vboxmcp-ready-0123456789abcdef";
    static final String CLONE = ScriptedVirtualBox.uuid(2);

    @TempDir
    Path tmp;
    Path masters;
    Path ready;
    Path userDir;
    Path cloneDir;
    ScriptedVirtualBox vbox;
    RecordingCommandRunner runner;
    VirtualBoxDriver driver;
    ReadySnapshotSupport support;
    Machine user;

    @BeforeEach
    void setUp() throws Exception {
        masters = tmp.resolve("masters");
        ready = masters.resolve("ready");
        userDir = Files.createDirectories(tmp.resolve("vms").resolve("mcp-1"));
        cloneDir = Files.createDirectories(tmp.resolve("vms").resolve("web-2"));
        vbox = new ScriptedVirtualBox();
        ScriptedVirtualBox.Vm u = vbox.register("mcp-1", USER, userDir.resolve("mcp-1"), "running");
        u.dvd = userDir.resolve("seed.iso").toString();
        u.rules.addAll(List.of("ssh,tcp,127.0.0.1,2222,,22", "tcp8080,tcp,127.0.0.1,8081,,8080"));
        runner = new RecordingCommandRunner(vbox::answer);
        VBoxManageAdapter adapter = new VBoxManageAdapter("VBoxManage", runner, d -> { }, Duration.ofSeconds(5),
                Duration.ofSeconds(5), w -> { });
        StubProviderContext ctx = new StubProviderContext(tmp.resolve("home"));
        driver = new VirtualBoxDriver(adapter, masters, null, true, ctx.hostPorts(), ctx.seedWriter(), d -> { },
                Duration.ofMillis(10), null, null, () -> "0123456789abcdef");
        support = driver.readySnapshots().orElseThrow();
        user = new Machine("mcp-1", VirtualBoxDriver.ID, userDir, "127.0.0.1", 2222, Map.of(22, 2222, 8080, 8081),
                Map.of("uuid", USER));
    }

    MachineSpec cloneSpec() throws Exception {
        TemplateDefinition t = new TemplateDefinition("web", SemanticVersion.parse("1.0.0"), null, null, "debian:12", 0, 0,
                0, Map.of(), List.of(), Map.of(), List.of(8080), List.of(), TemplateMetadata.EMPTY, Map.of());
        VmPlan plan = new VmPlan("web-2", t, "sha256:aa", null, VirtualBoxDriver.ID, 2048, 2, 10240,
                List.of(new PortForward(22, 0, "127.0.0.1"), new PortForward(8080, 0, "127.0.0.1")), List.of());
        return new MachineSpec(plan, cloneDir, new BaseImage("debian:12", tmp.resolve("img.vmdk"), "vmdk", "sha256:bb",
                null, null, null), "ssh-ed25519 AAAAclone web-2", "vboxmcp", "iid-web-2-7f3a", ProgressListener.NONE);
    }

    /** A saved snapshot: its folder and the digests the manager records. */
    record Saved(Path dir, Map<String, String> digests) { }

    Saved save() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("snapshot"));
        return new Saved(dir, support.save(user, dir, ProgressListener.NONE));
    }

    List<String> seedDvd(String vm, String medium) {
        return List.of("storageattach", vm, "--storagectl", "SATA", "--port", "1", "--device", "0", "--type", "dvddrive",
                "--medium", medium);
    }

    @Test
    void save_liveSnapshotClonedIntoFrozenTemplate_andTheVmGetsBackItsDvdWithoutExtraSnapshot() throws Exception {
        Saved s = save();

        assertThat(runner.commands()).containsExactly(
                List.of("--version"),
                List.of("showvminfo", USER, "--machinereadable"),
                seedDvd(USER, "emptydrive"),
                List.of("snapshot", USER, "take", TEMPLATE, "--live"),
                List.of("clonevm", USER, "--name", TEMPLATE, "--register", "--snapshot", TEMPLATE, "--options",
                        "keepnatmacs", "--basefolder", ready.toString()),
                List.of("showvminfo", TEMPLATE, "--machinereadable"),
                List.of("snapshot", USER, "delete", TEMPLATE),
                seedDvd(USER, userDir.resolve("seed.iso").toString()),
                List.of("snapshot", TEMPLATE, "take", "ready"));
        ScriptedVirtualBox.Vm u = vbox.find(USER).orElseThrow();
        assertThat(u.state).as("the user's VM runs on").isEqualTo("running");
        assertThat(u.snapshots).isEmpty();
        assertThat(u.dvd).isEqualTo(userDir.resolve("seed.iso").toString());
        ScriptedVirtualBox.Vm t = vbox.find(TEMPLATE).orElseThrow();
        assertThat(t.state).isEqualTo("saved");
        assertThat(t.snapshots).containsExactly("ready");

        Path descriptor = s.dir().resolve(ReadyTemplates.DESCRIPTOR);
        assertThat(s.digests()).containsOnlyKeys(ReadyTemplates.DESCRIPTOR)
                .containsEntry(ReadyTemplates.DESCRIPTOR, ReadyTemplates.sha256(descriptor));
        ReadyTemplates.Descriptor d = ReadyTemplates.Descriptor.read(descriptor);
        Path templateDir = ready.resolve(TEMPLATE);
        assertThat(d.files()).as("disk and saved state, not the settings file VirtualBox rewrites").containsOnlyKeys(
                TEMPLATE + "-disk1.vdi", "Snapshots/2026-11-30T12-00-00-000000000Z.sav");
        assertThat(d.files().get(TEMPLATE + "-disk1.vdi")).isEqualTo(ReadyTemplates.sha256(
                templateDir.resolve(TEMPLATE + "-disk1.vdi")));
        assertThat(d.dvd()).isEqualTo(new ReadyTemplates.Dvd("SATA", 1, 0));
        assertThat(d.uuid()).isEqualTo(t.uuid);
    }

    @Test
    void save_vmWithSharedFolders_isRefusedBeforeAnythingChanges() throws Exception {
        vbox.find(USER).orElseThrow().shares.add("src");
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, this::save);
        assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
        assertThat(e.getMessage()).contains("shared folders").contains("src");
        assertThat(runner.commands()).containsExactly(List.of("--version"), List.of("showvminfo", USER, "--machinereadable"));
    }

    @Test
    void save_cloneFails_vmIsGivenBackItsDvdAndSnapshotAndNoTemplateIsLeft() throws Exception {
        vbox.failures.put("clonevm", errorBlock("Could not create the clone medium", "VBOX_E_FILE_ERROR", "0x80bb0004"));
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, this::save);
        assertThat(e.getMessage()).contains("Could not create the clone medium");
        assertThat(runner.commands().subList(4, runner.commands().size())).containsExactly(
                List.of("clonevm", USER, "--name", TEMPLATE, "--register", "--snapshot", TEMPLATE, "--options",
                        "keepnatmacs", "--basefolder", ready.toString()),
                List.of("snapshot", USER, "delete", TEMPLATE),
                seedDvd(USER, userDir.resolve("seed.iso").toString()),
                List.of("unregistervm", TEMPLATE, "--delete"));
        assertThat(vbox.find(USER).orElseThrow().snapshots).isEmpty();
        assertThat(ready.resolve(TEMPLATE)).doesNotExist();
    }

    @Test
    void restore_linkedCloneWithNewPortsAndConsole_resumedThenGivenItsOwnSeed() throws Exception {
        Saved s = save();
        runner.clear();
        Machine m = support.restore(cloneSpec(), s.dir(), s.digests());

        int ssh = m.ports().get(22);
        int http = m.ports().get(8080);
        assertThat(runner.commands()).containsExactly(
                List.of("showvminfo", TEMPLATE, "--machinereadable"),
                List.of("showvminfo", "web-2", "--machinereadable"),
                List.of("clonevm", TEMPLATE, "--name", "web-2", "--register", "--snapshot", "ready", "--options",
                        "link,keepnatmacs", "--basefolder", cloneDir.toString()),
                List.of("showvminfo", "web-2", "--machinereadable"),
                List.of("showvminfo", CLONE, "--machinereadable"),
                List.of("modifyvm", CLONE, "--natpf1", "delete", "ssh", "--natpf1", "delete", "tcp8080"),
                List.of("modifyvm", CLONE, "--natpf1", "ssh,tcp,127.0.0.1," + ssh + ",,22",
                        "--natpf1", "tcp8080,tcp,127.0.0.1," + http + ",,8080"),
                List.of("modifyvm", CLONE, "--uartmode1", "file", cloneDir.resolve("console.log").toString()),
                List.of("startvm", CLONE, "--type", "headless"),
                seedDvd(CLONE, cloneDir.resolve("seed.iso").toString()));
        assertThat(ssh).as("ports chosen at restore, not the saved VM's").isNotIn(2222, 8081);
        ScriptedVirtualBox.Vm c = vbox.find(CLONE).orElseThrow();
        assertThat(c.state).isEqualTo("running");
        assertThat(c.rules).containsExactly("ssh,tcp,127.0.0.1," + ssh + ",,22", "tcp8080,tcp,127.0.0.1," + http + ",,8080");
        ScriptedVirtualBox.Vm t = vbox.find(TEMPLATE).orElseThrow();
        assertThat(t.state).as("the template is never started").isEqualTo("saved");
        assertThat(ready.resolve(TEMPLATE + ".clones").resolve(CLONE)).exists();
    }

    @Test
    void restore_handsTheManagerARunningCloneOnItsOwnForwardWithItsOwnSeed_forTheIdentityStep() throws Exception {
        Saved s = save();
        Machine m = support.restore(cloneSpec(), s.dir(), s.digests());

        // the manager's identity step logs in here with the snapshot's key, then resets host keys, machine-id,
        // hostname and authorized keys (core's GuestIdentity); the seed carries this clone's instance id and key
        assertThat(m.sshHost()).isEqualTo("127.0.0.1");
        assertThat(m.sshPort()).isEqualTo(m.ports().get(22));
        assertThat(m.attributes()).containsEntry("uuid", CLONE).containsEntry("readyTemplate", TEMPLATE)
                .containsEntry("linkedClone", "true");
        String seed = new String(Files.readAllBytes(cloneDir.resolve("seed.iso")), StandardCharsets.ISO_8859_1);
        assertThat(seed).contains("iid-web-2-7f3a").contains("ssh-ed25519 AAAAclone web-2");
        assertThat(driver.find("web-2", cloneDir)).as("crash recovery finds the clone").contains(m);
    }

    @Test
    void destroy_ofAClone_neverTouchesTheTemplate() throws Exception {
        Saved s = save();
        Machine m = support.restore(cloneSpec(), s.dir(), s.digests());
        Map<String, String> before = new ReadyTemplates(ready).digests(TEMPLATE);
        runner.clear();
        driver.destroy(m);

        assertThat(runner.commands()).containsExactly(
                List.of("showvminfo", CLONE, "--machinereadable"),
                List.of("controlvm", CLONE, "poweroff"),
                List.of("showvminfo", CLONE, "--machinereadable"),
                List.of("unregistervm", CLONE, "--delete"));
        assertThat(vbox.find(TEMPLATE).orElseThrow().state).isEqualTo("saved");
        assertThat(new ReadyTemplates(ready).digests(TEMPLATE)).isEqualTo(before);
        assertThat(ready.resolve(TEMPLATE + ".clones").resolve(CLONE)).doesNotExist();

        runner.clear();
        Machine again = support.restore(cloneSpec(), s.dir(), s.digests());
        assertThat(again.attributes()).containsEntry("readyTemplate", TEMPLATE);
        assertThat(runner.commands()).as("the snapshot still restores").contains(List.of("startvm",
                ScriptedVirtualBox.uuid(3), "--type", "headless"));
    }

    @Test
    void release_withoutClones_removesTheTemplateVm() throws Exception {
        Saved s = save();
        runner.clear();
        support.release(s.dir());
        assertThat(runner.commands()).containsExactly(List.of("unregistervm", TEMPLATE, "--delete"));
        assertThat(vbox.find(TEMPLATE)).isEmpty();
        try (var left = Files.list(ready)) {
            assertThat(left).as("no template folder or bookkeeping left").isEmpty();
        }
    }

    @Test
    void release_whileACloneRuns_keepsTheTemplateUntilTheLastCloneIsDestroyed() throws Exception {
        Saved s = save();
        Machine m = support.restore(cloneSpec(), s.dir(), s.digests());
        runner.clear();
        support.release(s.dir());
        assertThat(runner.commands()).as("only asks whether the clone exists")
                .containsExactly(List.of("showvminfo", CLONE, "--machinereadable"));
        assertThat(vbox.find(TEMPLATE)).isPresent();

        runner.clear();
        driver.destroy(m);
        assertThat(runner.commands()).containsSubsequence(List.of("unregistervm", CLONE, "--delete"),
                List.of("unregistervm", TEMPLATE, "--delete"));
        assertThat(vbox.find(TEMPLATE)).isEmpty();
        assertThat(ready.resolve(TEMPLATE)).doesNotExist();
    }

    @Test
    void prune_throughTheManagersCache_removesTheTemplateAfterTheStagedFolderWasRenamed() throws Exception {
        SnapshotCache cache = new SnapshotCache(tmp.resolve("home"), Long.MAX_VALUE, (dir, driverId) -> {
            try {
                support.release(dir);
            } catch (VboxmcpException e) {
                throw new IllegalStateException(e);
            }
        });
        Map<String, String> parts = Map.of("template.digest", "sha256:aa", "virtualbox:virtualbox.format", "1");
        Path staged = cache.stage();
        Map<String, String> files = support.save(user, staged, ProgressListener.NONE);
        Path dir = cache.commit(staged, new SnapshotCache.Record(SnapshotKey.hash(parts), parts, "web@1.0.0",
                VirtualBoxDriver.ID, files, "SHA256:pin", "ssh-ed25519 AAAA src", "ssh-ed25519 BBBB login",
                Instant.now().toString(), null));
        assertThat(support.restore(cloneSpec(), dir, files).attributes()).containsEntry("readyTemplate", TEMPLATE);
        driver.destroy(driver.find("web-2", cloneDir).orElseThrow());

        assertThat(cache.prune(true).removed()).containsExactly(dir);
        assertThat(vbox.find(TEMPLATE)).isEmpty();
        assertThat(ready.resolve(TEMPLATE)).doesNotExist();
    }

    @Test
    void restore_templateFileChanged_isDigestMismatch_cloneRemovedBeforeItRan() throws Exception {
        Saved s = save();
        Files.writeString(ready.resolve(TEMPLATE).resolve(TEMPLATE + "-disk1.vdi"), "tampered");
        runner.clear();
        HypervisorException e = catchThrowableOfType(HypervisorException.class,
                () -> support.restore(cloneSpec(), s.dir(), s.digests()));

        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(e.getMessage()).contains(TEMPLATE + "-disk1.vdi changed");
        assertThat(runner.commands()).noneMatch(c -> c.get(0).equals("startvm"));
        assertThat(runner.commands()).last().isEqualTo(List.of("unregistervm", CLONE, "--delete"));
        assertThat(vbox.find(CLONE)).isEmpty();
        assertThat(ready.resolve(TEMPLATE + ".clones").resolve(CLONE)).doesNotExist();
        try (var left = Files.list(cloneDir)) {
            assertThat(left).as("nothing of the clone left").isEmpty();
        }

        // the manager then discards the snapshot (releasing the broken template) and creates cold
        support.release(s.dir());
        assertThat(vbox.find(TEMPLATE)).isEmpty();
    }

    @Test
    void restore_templateVmMissingOrStarted_isDigestMismatchBeforeAnyClone() throws Exception {
        Saved s = save();
        vbox.find(TEMPLATE).orElseThrow().state = "running";
        runner.clear();
        HypervisorException started = catchThrowableOfType(HypervisorException.class,
                () -> support.restore(cloneSpec(), s.dir(), s.digests()));
        assertThat(started.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(started.getMessage()).contains("is running, not saved");

        vbox.vms.remove(TEMPLATE);
        HypervisorException missing = catchThrowableOfType(HypervisorException.class,
                () -> support.restore(cloneSpec(), s.dir(), s.digests()));
        assertThat(missing.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(missing.getMessage()).contains("not registered");
        assertThat(runner.commands()).containsOnly(List.of("showvminfo", TEMPLATE, "--machinereadable"));
    }

    @Test
    void restore_descriptorAlteredOrMissing_isDigestMismatchWithoutAnyCommand() throws Exception {
        Saved s = save();
        Path descriptor = s.dir().resolve(ReadyTemplates.DESCRIPTOR);
        Files.writeString(descriptor, Files.readString(descriptor).replace(TEMPLATE, "vboxmcp-ready-ffff"));
        runner.clear();
        HypervisorException altered = catchThrowableOfType(HypervisorException.class,
                () -> support.restore(cloneSpec(), s.dir(), s.digests()));
        assertThat(altered.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);

        Files.delete(descriptor);
        HypervisorException missing = catchThrowableOfType(HypervisorException.class,
                () -> support.restore(cloneSpec(), s.dir(), s.digests()));
        assertThat(missing.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(runner.commands()).isEmpty();
    }

    @Test
    void keyParts_nameVirtualBoxVersionFormatAndFirmware() throws Exception {
        assertThat(support.keyParts(cloneSpec())).containsEntry("virtualbox.format", VirtualBoxReadySnapshots.FORMAT)
                .containsEntry("virtualbox.adapter", "vboxmanage").containsEntry("virtualbox.firmware", "bios")
                .hasEntrySatisfying("virtualbox.version", v -> assertThat(v).startsWith("7.1.4"));
    }
}
