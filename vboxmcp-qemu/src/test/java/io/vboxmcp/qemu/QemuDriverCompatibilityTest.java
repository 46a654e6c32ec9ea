package io.vboxmcp.qemu;

import io.vboxmcp.ExecResult;
import io.vboxmcp.qemu.internal.QemuDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.testkit.GuestSsh;
import io.vboxmcp.testkit.HypervisorDriverCompatibilityKit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The QEMU driver against the hypervisor compatibility kit, with real TCG guests of the test image; guest commands
 * go through the real OpenSSH client ({@link GuestSsh}, as in libvirt's kit test).
 */
@Tag("vm")
class QemuDriverCompatibilityTest extends HypervisorDriverCompatibilityKit {
    private static BaseImage image;
    private static GuestSsh ssh;

    @TempDir
    static Path keys;

    @BeforeAll
    static void image() throws Exception {
        image = TestImage.baseImage();
        ssh = GuestSsh.generate(keys, "qemu-kit");
    }

    @Override
    protected HypervisorDriver createDriver(ProviderContext context) throws Exception {
        return new QemuDriverFactory().create(context);
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
