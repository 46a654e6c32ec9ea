package io.vboxmcp.libvirt;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.libvirt.internal.LibvirtDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.testkit.StubProviderContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The remote path once, for real and within CI's budget: {@code qemu+ssh://root@127.0.0.1:<port>/system} to an OpenSSH
 * sshd on loopback, a pool the driver creates over SSH, the base image, kernel and initrd uploaded and read back over
 * SSH, a guest booted from them and reached through its forwarded port, its console read back from the pool, and
 * destroy leaving only the shared volumes. The guest's SSH is reached as it would be on another host: through the
 * SSH jump via the libvirt host (the driver's local forward over the loopback sshd, whose log shows the
 * direct-tcpip request to QEMU's forward), the jump's host key pinned in a known_hosts file. ({@link LibvirtOverSshCompatibilityTest} runs the whole kit this way.)
 */
@Tag("vm")
class LibvirtOverSshTest {
    static final String POOL = "vboxmcp-ssh-ci";
    static LoopbackSshd sshd;
    static BaseImage image;
    static SshKeys.SshKeyPair key;

    @TempDir
    Path work;
    final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    @TempDir
    static Path keys;

    @BeforeAll
    static void start() throws Exception {
        LibvirtFixture.ensureLibvirtd();
        image = LibvirtFixture.testImage();
        key = SshKeys.generate(keys, "libvirt-ssh");
        sshd = LoopbackSshd.start();
        LibvirtFixture.removePool(POOL);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            LibvirtFixture.removePool(POOL);
        } finally {
            sshd.close();
        }
    }

    private HypervisorDriver driver() throws Exception {
        return driver(sshd.jumpConfig());
    }

    private HypervisorDriver driver(Map<String, String> jump) throws Exception {
        Map<String, String> config = new HashMap<>(jump);
        config.putAll(Map.of(LibvirtKeys.URI, sshd.uri(), LibvirtKeys.POOL, POOL, LibvirtKeys.POOL_PATH,
                "/var/lib/libvirt/images/" + POOL));
        return new LibvirtDriverFactory().create(new StubProviderContext(work.resolve("home"), config));
    }

    private MachineSpec spec(String prefix, List<PlannedSharedFolder> shares) throws Exception {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        TemplateDefinition t = new TemplateDefinition("ssh", SemanticVersion.parse("1.0.0"), "over ssh", null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        VmPlan plan = new VmPlan(name, t, "sha256:" + "0".repeat(64), null, "libvirt", 256, 1, 512,
                List.of(new PortForward(22, 0, "127.0.0.1")), shares);
        return new MachineSpec(plan, Files.createDirectories(work.resolve("vms").resolve(name)), image,
                key.publicKeyLine(), "root", "iid-" + UUID.randomUUID(), events::add);
    }

    @Test
    void create_uploadsOnceBootsAGuestAndDestroyLeavesOnlySharedVolumes_overSsh() throws Exception {
        try (HypervisorDriver driver = driver()) {
            Machine a = driver.create(spec("up-a", List.of()));
            Machine b = null;
            try {
                assertThat(events).as("the first create uploads the base image into the new pool")
                        .anyMatch(e -> e.message().startsWith("uploaded "));
                assertThat(LibvirtFixture.volumes(POOL)).anyMatch(v -> v.startsWith("vboxmcp-base-sha256-"))
                        .anyMatch(v -> v.startsWith("vboxmcp-kernel-sha256-"));
                events.clear();
                b = driver.create(spec("up-b", List.of()));
                assertThat(events).as("the second create reuses the verified base volume")
                        .noneMatch(e -> e.message().startsWith("uploaded "));

                driver.start(a);
                int forwarded = new ObjectMapper().readTree(a.vmDir().resolve("libvirt.json").toFile())
                        .path("sshPort").asInt();
                assertThat(a.sshPort()).as("the handle names the jump's local end, not QEMU's forward")
                        .isNotEqualTo(forwarded);
                awaitBanner(a);
                try (SshGuestChannel ch = SshGuestChannel.connect(a.sshHost(), a.sshPort(), "root", key.keyPair(),
                        work.resolve("pin"), Duration.ofSeconds(30))) {
                    ExecResult r = ch.exec(GuestCommand.of("cat /proc/cmdline").withTimeout(Duration.ofSeconds(60)));
                    assertThat(r.stdout()).as("the uploaded kernel booted with its arguments").contains(image.kernelArgs());
                }
                assertThat(sshd.log()).as("the guest's SSH was reached through the libvirt host as a jump")
                        .containsPattern("direct.?tcpip.*target 127\\.0\\.0\\.1 port " + forwarded + "\\b");
                assertThat(driver.consoleTail(a, 200)).as("the console log, read back from the pool over SSH").isNotBlank();
            } finally {
                driver.destroy(a);
                if (b != null) {
                    driver.destroy(b);
                }
            }
            assertThat(LibvirtFixture.volumes(POOL)).as("volumes left after destroying both machines")
                    .allMatch(v -> v.startsWith("vboxmcp-base-") || v.startsWith("vboxmcp-kernel-")
                            || v.startsWith("vboxmcp-initrd-"));
            assertThat(a.vmDir()).doesNotExist();
        }
    }

    @Test
    void create_refusesSharedFoldersOnARemoteConnection() throws Exception {
        Path share = Files.createDirectories(work.resolve("share"));
        try (HypervisorDriver driver = driver()) {
            MachineSpec spec = spec("share", List.of(new PlannedSharedFolder("data", share, "/mnt/data", true)));
            VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> driver.create(spec));
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains(share.toString()).contains("qemu+ssh://");
            try (var s = Files.list(spec.vmDir())) {
                assertThat(s.toList()).isEmpty();
            }
        }
    }

    @Test
    void create_refusesAJumpHostWhoseKeyIsUnknownOrChanged_andLeavesNothing() throws Exception {
        Path unknown = Files.writeString(work.resolve("known_hosts-empty"), "");
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                work.resolve("other_host_key").toString()).redirectErrorStream(true).start();
        keygen.getInputStream().readAllBytes();
        assertThat(keygen.waitFor()).isZero();
        Path changed = Files.writeString(work.resolve("known_hosts-changed"), "[127.0.0.1]:" + sshd.port() + " "
                + Files.readString(work.resolve("other_host_key.pub")));
        for (Path knownHosts : List.of(unknown, changed)) {
            String before = Files.readString(knownHosts);
            Map<String, String> jump = new HashMap<>(sshd.jumpConfig());
            jump.put(LibvirtKeys.SSH_KNOWN_HOSTS, knownHosts.toString());
            try (HypervisorDriver driver = driver(jump)) {
                MachineSpec spec = spec("hostkey", List.of());
                LibvirtException e = catchThrowableOfType(LibvirtException.class, () -> driver.create(spec));
                assertThat(e.kind()).as(knownHosts.toString()).isEqualTo(LibvirtException.Kind.AUTHENTICATION_FAILED);
                assertThat(e.getMessage()).contains("host key").contains(knownHosts.toString());
                assertThat(Files.readString(knownHosts)).as("known_hosts is never written").isEqualTo(before);
                if (Files.exists(spec.vmDir())) {
                    try (var s = Files.list(spec.vmDir())) {
                        assertThat(s.toList()).isEmpty();
                    }
                }
            }
        }
    }

    private static void awaitBanner(Machine m) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(m.sshHost(), m.sshPort()), 2000);
                s.setSoTimeout(2000);
                InputStream in = s.getInputStream();
                if (new String(in.readNBytes(8), StandardCharsets.US_ASCII).equals("SSH-2.0-")) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // the guest is still booting
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no SSH banner from " + m.name());
    }
}
