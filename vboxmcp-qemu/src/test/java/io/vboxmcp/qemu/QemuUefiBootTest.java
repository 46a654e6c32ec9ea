package io.vboxmcp.qemu;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.qemu.internal.QemuDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.testkit.VmHostResidue;
import io.vboxmcp.testkit.http.StaticHttpServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A base image without a kernel that boots only under UEFI: QEMU starts it with OVMF and the guest's own boot
 * loader, and the guest reaches SSH (and mounts a 9p share: q35 with OVMF keeps virtio and 9p working). A create
 * through the manager that fails at provisioning under UEFI leaves nothing behind.
 */
@Tag("vm")
class QemuUefiBootTest {
    @TempDir
    Path work;

    @Test
    void uefiOnlyImage_bootsWithOvmfToSsh_andDestroyRemovesItsVariableStore() throws Exception {
        BaseImage image = TestImage.uefiBaseImage();
        SshKeys.SshKeyPair key = SshKeys.generate(Files.createDirectories(work.resolve("keys")), "uefi-test");
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        HypervisorDriver driver = new QemuDriverFactory().create(new StubProviderContext(work.resolve("home"), Map.of()));
        TemplateDefinition t = new TemplateDefinition("uefi-test", SemanticVersion.parse("1.0.0"), null, null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        Path shared = Files.writeString(Files.createDirectories(work.resolve("shared")).resolve("hello.txt"), "from the host");
        PlannedSharedFolder share = new PlannedSharedFolder("data", shared.getParent(), "/mnt/data", true);
        VmPlan plan = new VmPlan("uefi-1", t, "sha256:" + "0".repeat(64), null, "qemu", 512, 1, 512,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of(share));
        Path vmDir = Files.createDirectories(work.resolve("vms").resolve("uefi-1"));
        Machine m = driver.create(new MachineSpec(plan, vmDir, image, key.publicKeyLine(), "root", "iid-uefi-1",
                events::add));
        try {
            assertThat(m.attributes()).containsEntry("firmware", "uefi");
            assertThat(Files.readString(vmDir.resolve("machine.json"))).contains("\"firmware\":\"uefi\"");
            assertThat(vmDir.resolve("efivars.fd")).hasSameBinaryContentAs(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"));

            // started by a second driver instance, as another CLI process would: it reads the firmware from machine.json
            HypervisorDriver other = new QemuDriverFactory().create(new StubProviderContext(work.resolve("home"), Map.of()));
            Machine found = other.find("uefi-1", vmDir).orElseThrow();
            long t0 = System.nanoTime();
            other.start(found);
            assertThat(Files.readString(vmDir.resolve("qemu.log")))
                    .contains("if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd")
                    .contains("if=pflash,format=raw,unit=1,file=" + vmDir.resolve("efivars.fd"))
                    .doesNotContain("-kernel");
            try (SshGuestChannel ch = ssh(other, found, key, work.resolve("pins"), Duration.ofMinutes(4))) {
                System.out.println("UEFI guest reached SSH after " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms");
                ExecResult efi = ch.exec(GuestCommand.of("test -d /sys/firmware/efi && echo uefi")
                        .withTimeout(Duration.ofSeconds(30)));
                assertThat(efi.stdout().trim()).as("the guest kernel was started by UEFI firmware").isEqualTo("uefi");
                ExecResult root = ch.exec(GuestCommand.of("grep -o 'root=[^ ]*' /proc/cmdline")
                        .withTimeout(Duration.ofSeconds(30)));
                assertThat(root.stdout().trim()).as("booted by the disk's own loader").isEqualTo("root=/dev/vda2");
                // 9p on q35 with OVMF, as with SeaBIOS
                ExecResult mount = ch.exec(GuestCommand.of(other.guestMountCommand(found, share)
                        + " && cat /mnt/data/hello.txt").withTimeout(Duration.ofSeconds(30)));
                assertThat(mount.stdout().trim()).as(mount.stderr()).isEqualTo("from the host");
            }
            assertThat(other.state(found)).isEqualTo(VmState.RUNNING);
        } finally {
            driver.destroy(m);
        }
        assertThat(vmDir).doesNotExist();
    }

    /**
     * A failing create under UEFI, through the manager: the package manager's message, nothing left (no VM folder, no
     * QEMU process, its forwarded ports free again). This half of {@code PythonDevOnDebianTest}'s unknown-apt-package
     * check used to boot a second cold Debian guest under OVMF (~75 s of CI); the UEFI-only busybox image shows the
     * same failure path in seconds, and apt's own message is checked on the booted Debian guest there.
     */
    @Test
    void unknownPackage_failsTheCreateAtProvisionUnderUefi_withTheManagersMessage_andLeavesNothing() throws Exception {
        BaseImage image = TestImage.uefiBaseImage();
        Path catalog = Files.writeString(work.resolve("uefi-catalog.json"), """
                { "catalogVersion": 1,
                  "images": [ { "reference": "%s", "firmware": "uefi",
                                "disk": { "url": "%s", "format": "qcow2", "digest": "%s" } } ] }
                """.formatted(image.reference(), image.disk().toUri(), image.digest()));
        Path home = work.resolve("manager-home");
        Path tdir = Files.createDirectories(home.resolve("templates/uefi-broken/1.0.0"));
        Files.createDirectories(work.resolve("www/repo"));  // an empty tpkg repository: the package is unknown
        String name = "uefi-broken-vm";
        Path vmDir = home.resolve("vms").resolve(name);
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        List<Integer> ports = new CopyOnWriteArrayList<>();
        try (StaticHttpServer http = StaticHttpServer.serve(work.resolve("www"))) {
            Files.writeString(tdir.resolve("template-definition.yaml"), """
                    name: "uefi-broken"
                    version: "1.0.0"
                    base_image: "%s"
                    min_ram: 512
                    min_disk: 256
                    min_cores: 1
                    environment:
                      TPKG_REPO: "http://10.0.2.2:%d/repo"
                    packages:
                      system: [no-such-package-vboxmcp]
                    """.formatted(image.reference(), http.port()));
            try (VmManager manager = VmManager.builder().home(home).defaultDriver("qemu")
                    .property(CoreKeys.IMAGE_CATALOG, catalog.toUri().toString())
                    .property(CoreKeys.READY_TIMEOUT, "300")
                    .progress(e -> {
                        events.add(e);
                        if (name.equals(e.vmName()) && e.kind() == ProgressEvent.Kind.STEP_STARTED
                                && "provision".equals(e.step())) {
                            try {
                                ports.addAll(VmHostResidue.listeningPorts(vmDir));  // what the VM holds while it runs
                            } catch (IOException | InterruptedException ex) {
                                throw new IllegalStateException(ex);
                            }
                        }
                    }).build()) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> manager.createFromTemplate(CreateVmRequest.builder(name,
                        TemplateRef.parse("uefi-broken@1.0.0")).build()))
                        .isInstanceOfSatisfying(ProvisioningException.class, e -> {
                            assertThat(e.step()).contains("provision");
                            assertThat(e.item()).isEqualTo("packages.system");
                            assertThat(e.getMessage() + e.lastOutput()).contains("tpkg: cannot fetch no-such-package-vboxmcp");
                        });
                System.out.println("failing create (UEFI) took " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms");
                assertThat(events).anyMatch(e -> name.equals(e.vmName()) && e.message() != null
                        && e.message().startsWith("UEFI firmware"));
                assertThat(manager.vms()).extracting(Vm::name).doesNotContain(name);
            }
        }
        assertThat(vmDir).as("no VM folder").doesNotExist();
        assertThat(VmHostResidue.processes(vmDir)).as("no QEMU process").isEmpty();
        assertThat(ports).as("the VM held its forwarded ports while it ran").isNotEmpty();
        assertThat(VmHostResidue.portsInUse(ports)).as("its ports are free again").isEmpty();
    }

    static SshGuestChannel ssh(HypervisorDriver driver, Machine m, SshKeys.SshKeyPair key, Path pins, Duration limit)
            throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        VboxmcpException last = null;
        while (System.nanoTime() < deadline) {
            try {
                return SshGuestChannel.connect(m.sshHost(), m.sshPort(), "root", key.keyPair(), pins.resolve(m.name()),
                        Duration.ofSeconds(10));
            } catch (VboxmcpException e) {
                last = e;
                Thread.sleep(500);
            }
        }
        throw new AssertionError("guest " + m.name() + " never answered SSH; console:\n" + driver.consoleTail(m, 30), last);
    }
}
