package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.PortForward;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.libvirt.LibvirtException;
import io.vboxmcp.libvirt.LibvirtFixture;
import io.vboxmcp.libvirt.LibvirtKeys;
import io.vboxmcp.libvirt.LoopbackSshd;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.testkit.StubProviderContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * libvirt's failures, produced for real on the local libvirtd (no guest boots): each must reach the caller as a
 * typed error, and the create must leave nothing behind, neither in the VM folder nor in the pool.
 */
@Tag("vm")
class LibvirtFailuresTest {
    static BaseImage image;

    @TempDir
    Path work;

    @BeforeAll
    static void setUp() throws Exception {
        LibvirtFixture.ensureLibvirtd();
        image = LibvirtFixture.testImage();
    }

    private HypervisorDriver driver(Map<String, String> config) throws Exception {
        return new LibvirtDriverFactory().create(new StubProviderContext(work.resolve("home"), config));
    }

    private MachineSpec spec(String name) throws Exception {
        TemplateDefinition t = new TemplateDefinition("failures", SemanticVersion.parse("1.0.0"), "libvirt failures", null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        VmPlan plan = new VmPlan(name, t, "sha256:" + "0".repeat(64), null, "libvirt", 256, 1, 512,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of());
        return new MachineSpec(plan, Files.createDirectories(work.resolve("vms").resolve(name)), image,
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDbYs2rWr6Ux2wSgFzLdT6c8mW1l6pGq3u1YtZb2cX9x kit", "root",
                "iid-" + UUID.randomUUID(), e -> { });
    }

    private static LibvirtException createFails(HypervisorDriver driver, MachineSpec spec) {
        return catchThrowableOfType(LibvirtException.class, () -> driver.create(spec));
    }

    private static void assertNothingLeft(MachineSpec spec, String pool) throws Exception {
        if (Files.exists(spec.vmDir())) { // the driver removes the folder when it leaves it empty
            try (Stream<Path> s = Files.list(spec.vmDir())) {
                assertThat(s.toList()).as("files left in the VM folder").isEmpty();
            }
        }
        if (pool != null) {
            String domain = DomainRecord.domainName(spec.plan().vmName(), spec.vmDir().toAbsolutePath().normalize());
            assertThat(LibvirtFixture.virsh("qemu:///system", "vol-list", pool)).as("per-VM volumes left in " + pool)
                    .doesNotContain(domain);
        }
    }

    @Test
    void create_connectionRefused_isTypedAndLeavesNothing() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            closed = s.getLocalPort();
        }
        MachineSpec spec = spec("refused");
        LibvirtException e = createFails(driver(Map.of(LibvirtKeys.URI, "qemu+tcp://127.0.0.1:" + closed + "/system")), spec);
        assertThat(e.kind()).isEqualTo(LibvirtException.Kind.CONNECTION_REFUSED);
        assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
        assertThat(e.getMessage()).contains("Connection refused");
        assertNothingLeft(spec, null);
    }

    @Test
    void create_unknownSshHostKey_isAuthenticationFailedAndLeavesNothing() throws Exception {
        try (LoopbackSshd sshd = LoopbackSshd.start()) {
            // the host key is pinned only in the fixture's wrapper; plain ssh does not know it and must refuse
            MachineSpec spec = spec("hostkey");
            LibvirtException e = createFails(driver(Map.of(LibvirtKeys.URI,
                    "qemu+ssh://root@127.0.0.1:" + sshd.port() + "/system?no_tty=1")), spec);
            assertThat(e.kind()).isEqualTo(LibvirtException.Kind.AUTHENTICATION_FAILED);
            assertThat(e.getMessage()).containsIgnoringCase("host key verification failed");
            assertNothingLeft(spec, null);
        }
    }

    @Test
    void create_domainOfThatNameExists_isVmExistsAndLeavesTheOtherDomainAlone() throws Exception {
        MachineSpec spec = spec("taken-" + UUID.randomUUID().toString().substring(0, 6));
        String domain = DomainRecord.domainName(spec.plan().vmName(), spec.vmDir().toAbsolutePath().normalize());
        Path xml = work.resolve("other.xml");
        Files.writeString(xml, "<domain type='qemu'><name>" + domain + "</name><memory unit='MiB'>64</memory>"
                + "<os><type arch='x86_64' machine='q35'>hvm</type></os></domain>");
        LibvirtFixture.virsh("qemu:///system", "define", xml.toString());
        try {
            LibvirtException e = createFails(driver(Map.of()), spec);
            assertThat(e.kind()).isEqualTo(LibvirtException.Kind.ALREADY_EXISTS);
            assertThat(e.code()).isEqualTo(ErrorCode.VM_EXISTS);
            assertThat(LibvirtFixture.virsh("qemu:///system", "domstate", domain).strip()).isEqualTo("shut off");
            assertNothingLeft(spec, "vboxmcp");
        } finally {
            LibvirtFixture.virsh("qemu:///system", "undefine", domain);
        }
    }

    @Test
    void create_poolFull_isResourceLimitAndLeavesNothing() throws Exception {
        Path tiny = Files.createDirectories(work.resolve("tiny"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", tiny.toString())
                .redirectErrorStream(true).start();
        mount.getInputStream().readAllBytes();
        Assumptions.assumeTrue(mount.waitFor() == 0, "cannot mount a 4 MiB tmpfs here");
        String pool = "vboxmcp-tiny-" + UUID.randomUUID().toString().substring(0, 6);
        try {
            MachineSpec spec = spec("full");
            LibvirtException e = createFails(driver(Map.of(LibvirtKeys.POOL, pool,
                    LibvirtKeys.POOL_PATH, tiny.resolve("pool").toString())), spec);
            assertThat(e.kind()).as(e.getMessage()).isEqualTo(LibvirtException.Kind.POOL_FULL);
            assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_LIMIT);
            assertNothingLeft(spec, pool);
            assertThat(LibvirtFixture.virsh("qemu:///system", "vol-list", pool)).as("the failed upload is removed").isBlank();
        } finally {
            removePool(pool);
            new ProcessBuilder("umount", tiny.toString()).start().waitFor();
        }
    }

    @Test
    void create_refusesATamperedBaseVolume_DigestMismatch() throws Exception {
        String pool = "vboxmcp-tamper-" + UUID.randomUUID().toString().substring(0, 6);
        Map<String, String> config = new HashMap<>(Map.of(LibvirtKeys.POOL, pool, LibvirtKeys.POOL_PATH,
                "/var/lib/libvirt/images/" + pool, LibvirtKeys.VERIFY_BASE, "every-use"));
        try (HypervisorDriver driver = driver(config)) {
            driver.destroy(driver.create(spec("first")));
            String base = "vboxmcp-base-" + image.digest().replace(':', '-');
            byte[] bytes = Files.readAllBytes(image.disk());
            bytes[bytes.length - 1] ^= 1;
            Path tampered = work.resolve("tampered.qcow2");
            Files.write(tampered, bytes);
            LibvirtFixture.virsh("qemu:///system", "vol-upload", "--pool", pool, base, tampered.toString());
            MachineSpec spec = spec("second");
            VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> driver.create(spec));
            assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
            assertThat(e.getMessage()).contains(base).contains(image.digest());
            assertNothingLeft(spec, pool);
            assertThat(LibvirtFixture.virsh("qemu:///system", "vol-list", pool)).as("the base volume is refused, not replaced")
                    .contains(base);
        } finally {
            removePool(pool);
        }
    }

    private static void removePool(String pool) throws Exception {
        try {
            LibvirtFixture.virsh("qemu:///system", "pool-refresh", pool);
            for (String line : LibvirtFixture.virsh("qemu:///system", "vol-list", pool).lines().toList()) {
                if (!line.isBlank()) {
                    LibvirtFixture.virsh("qemu:///system", "vol-delete", "--pool", pool, line.strip().split("\\s+")[0]);
                }
            }
            LibvirtFixture.virsh("qemu:///system", "pool-destroy", pool);
        } catch (java.io.IOException e) {
            // not created or not running: undefine what is left
        }
        try {
            LibvirtFixture.virsh("qemu:///system", "pool-undefine", pool);
        } catch (java.io.IOException e) {
            // never defined
        }
    }
}
