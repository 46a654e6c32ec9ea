package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.testkit.HypervisorDriverCompatibilityKit;
import io.vboxmcp.virtualbox.VirtualBoxKeys;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

/**
 * The testkit's compatibility kit against the driver built by its real factory, running the real process
 * machinery against the fake {@code VBoxManage} script (which keeps per-VM state on disk). No guest boots, so the
 * kit's SSH and guest-exec checks are switched off through its capability flags.
 */
class VirtualBoxDriverCompatibilityTest extends HypervisorDriverCompatibilityKit {
    private Path image;

    @Override
    protected ProviderContext providerContext() throws Exception {
        FakeVBoxManage fake = FakeVBoxManage.installIn(work.resolve("fake-vbox"));
        return new StubProviderContext(work.resolve("home"), Map.of(
                VirtualBoxKeys.VBOXMANAGE, fake.executable.toString(),
                VirtualBoxKeys.COMMAND_TIMEOUT, "30"));
    }

    @Override
    protected HypervisorDriver createDriver(ProviderContext ctx) throws Exception {
        VirtualBoxDriverFactory factory = new VirtualBoxDriverFactory();
        if (factory.unavailableReason(ctx).isPresent()) {
            throw new AssertionError("fake VirtualBox reported unavailable: " + factory.unavailableReason(ctx).get());
        }
        return factory.create(ctx);
    }

    @Override
    protected BaseImage baseImage() throws Exception {
        if (image == null) {
            image = work.resolve("images").resolve("kit.vmdk");
            Files.createDirectories(image.getParent());
            byte[] bytes = new byte[64 * 1024];
            new Random(7).nextBytes(bytes);
            Files.write(image, bytes);
        }
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(image)));
        return new BaseImage("kit:1", image, "vmdk", digest, null, null, null);
    }

    @Override
    protected String sshPublicKey() {
        return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTheCompatibilityKitOnly kit@test";
    }

    @Override
    protected boolean bootsRealGuests() {
        return false;
    }

    @Override
    protected boolean supportsGuestExec() {
        return false;
    }
}
