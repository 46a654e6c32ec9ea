package io.vboxmcp.qemu;

import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.qemu.internal.QemuDriverFactory;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.testkit.HypervisorDriverCompatibilityKit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The QEMU driver against the hypervisor compatibility kit, with real TCG guests of the test image. */
@Tag("vm")
class QemuDriverCompatibilityTest extends HypervisorDriverCompatibilityKit {
    private static BaseImage image;
    private static SshKeys.SshKeyPair key;
    private static Path keyDir;

    @BeforeAll
    static void image() throws Exception {
        image = TestImage.baseImage();
        keyDir = Files.createTempDirectory("qemu-kit-keys");
        key = SshKeys.generate(keyDir, "qemu-kit");
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
        return key.publicKeyLine();
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
        return exec(machine, work.resolve("pins").resolve(machine.name()), command);
    }

    static ExecResult exec(Machine machine, Path pinFile, String command) throws Exception {
        try (SshGuestChannel ch = SshGuestChannel.connect(machine.sshHost(), machine.sshPort(), "root", key.keyPair(),
                pinFile, Duration.ofSeconds(30))) {
            return ch.exec(GuestCommand.of(command).withTimeout(Duration.ofSeconds(60)));
        }
    }
}
