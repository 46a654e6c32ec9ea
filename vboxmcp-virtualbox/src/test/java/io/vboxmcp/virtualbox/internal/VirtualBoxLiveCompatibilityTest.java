package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.testkit.HypervisorDriverCompatibilityKit;
import io.vboxmcp.virtualbox.VirtualBoxKeys;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.EnabledIf;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/**
 * The compatibility kit against real VirtualBox, booting real guests from {@code VBOXMCP_LIVE_IMAGE} (a cloud image
 * with cloud-init). Skipped unless VirtualBox 7.x works here and the variable names an image file. Masters are kept
 * in {@code ~/.vboxmcp-live/masters} between runs, so only the first run imports the image.
 */
@Tag("virtualbox-live")
@Tag("vm")
@EnabledIf("io.vboxmcp.virtualbox.internal.VirtualBoxLive#virtualBoxAndImage")
class VirtualBoxLiveCompatibilityTest extends HypervisorDriverCompatibilityKit {

    @Override
    protected ProviderContext providerContext() {
        Path home = Path.of(System.getProperty("user.home"), ".vboxmcp-live");
        return new StubProviderContext(home, Map.of(VirtualBoxKeys.MASTER_FOLDER, home.resolve("masters").toString()));
    }

    @Override
    protected HypervisorDriver createDriver(ProviderContext context) throws Exception {
        return new VirtualBoxDriverFactory().create(context);
    }

    @Override
    protected BaseImage baseImage() throws Exception {
        Path image = Path.of(System.getenv("VBOXMCP_LIVE_IMAGE"));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(image)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        String name = image.getFileName().toString().toLowerCase(Locale.ROOT);
        String format = name.substring(name.lastIndexOf('.') + 1);
        return new BaseImage("live", image, format, "sha256:" + HexFormat.of().formatHex(sha.digest()), null, null, null);
    }

    @Override
    protected String sshPublicKey() {
        return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMvboxmcpLiveTestKeyNotUsedForLogin live@vboxmcp";
    }

    @Override
    protected String sshUser() {
        return "vboxmcp";
    }

    @Override
    protected int memoryMb() {
        return 1024;
    }

    @Override
    protected int diskMb() {
        return 1024;
    }
}
