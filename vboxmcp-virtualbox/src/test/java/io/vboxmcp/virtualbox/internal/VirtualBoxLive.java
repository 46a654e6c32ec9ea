package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.virtualbox.internal.cli.ProcessCommandRunner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Conditions for the {@code virtualbox-live} test group: it runs only where {@code VBoxManage --version} works
 * (VirtualBox 7.x installed, kernel driver loaded). The VM tests also need {@code VBOXMCP_LIVE_IMAGE}: a cloud image
 * with cloud-init (vmdk, vdi, raw or ova), for example Ubuntu's {@code jammy-server-cloudimg-amd64.ova}.
 */
final class VirtualBoxLive {
    private VirtualBoxLive() {
    }

    static boolean virtualBoxUsable() {
        StubProviderContext ctx = new StubProviderContext(Path.of(System.getProperty("java.io.tmpdir")), Map.of());
        return new VirtualBoxDriverFactory(new ProcessCommandRunner(), System.getenv()).unavailableReason(ctx).isEmpty();
    }

    static boolean virtualBoxAndImage() {
        String image = System.getenv("VBOXMCP_LIVE_IMAGE");
        return image != null && Files.isRegularFile(Path.of(image)) && virtualBoxUsable();
    }
}
