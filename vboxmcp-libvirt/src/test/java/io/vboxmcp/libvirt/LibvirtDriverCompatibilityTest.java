package io.vboxmcp.libvirt;

import io.vboxmcp.ExecResult;
import io.vboxmcp.libvirt.internal.LibvirtDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.testkit.GuestSsh;
import io.vboxmcp.testkit.HypervisorDriverCompatibilityKit;
import io.vboxmcp.testkit.StubProviderContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The libvirt driver against the compatibility kit: a real libvirtd on qemu:///system, TCG guests of the test image;
 * guest commands go through the real OpenSSH client ({@link GuestSsh}, as in QEMU's kit test).
 */
@Tag("vm")
class LibvirtDriverCompatibilityTest extends HypervisorDriverCompatibilityKit {
    static BaseImage image;
    static GuestSsh ssh;

    @TempDir
    static Path keys;

    @BeforeAll
    static void setUp() throws Exception {
        LibvirtFixture.ensureLibvirtd();
        image = LibvirtFixture.testImage();
        ssh = GuestSsh.generate(keys, "libvirt-kit");
    }

    /** @return the connection URI the kit runs against */
    protected String uri() throws Exception {
        return "qemu:///system";
    }

    /** @return configuration beyond the URI */
    protected Map<String, String> config() {
        return Map.of();
    }

    @Override
    protected ProviderContext providerContext() throws Exception {
        Map<String, String> config = new java.util.HashMap<>(config());
        config.put(LibvirtKeys.URI, uri());
        return new StubProviderContext(work.resolve("home"), config);
    }

    @Override
    protected HypervisorDriver createDriver(ProviderContext context) throws Exception {
        return new LibvirtDriverFactory().create(context);
    }

    @Override
    protected BaseImage baseImage() {
        return image;
    }

    @Override
    protected String sshPublicKey() {
        return ssh.publicKeyLine();
    }

    @Override
    protected boolean supportsGuestExec() {
        return true;
    }

    @Override
    protected Duration stopGrace() {
        return Duration.ofSeconds(20);
    }

    @Override
    protected ExecResult guestExec(Machine machine, String command) throws Exception {
        return ssh.exec(machine, sshUser(), work.resolve("pins").resolve(machine.name()), command, Duration.ofSeconds(60));
    }
}
