package io.vboxmcp.libvirt;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.HashMap;
import java.util.Map;

/**
 * The whole compatibility kit once more, guest checks included, through
 * {@code qemu+ssh://root@127.0.0.1:<port>/system} to a real sshd on loopback, into a pool of its own
 * ({@code vboxmcp-ssh}, created by the driver, removed afterwards) so that the remote path, pool creation and the
 * base image upload included, runs for real. Shared folders are refused on remote connections, which the kit checks
 * instead of mounting one. It takes about three minutes more than CI's budget for this module allows, so it runs
 * with {@code -Dvboxmcp.libvirt.ssh.kit=true}; CI runs {@link LibvirtOverSshTest}, the remote path once.
 */
@Tag("vm")
@EnabledIfSystemProperty(named = "vboxmcp.libvirt.ssh.kit", matches = "true")
class LibvirtOverSshCompatibilityTest extends LibvirtDriverCompatibilityTest {
    static final String POOL = "vboxmcp-ssh";
    static LoopbackSshd sshd;

    @BeforeAll
    static void startSshd() throws Exception {
        sshd = LoopbackSshd.start();
        LibvirtFixture.removePool(POOL); // a pool an interrupted earlier run left, so that this run uploads again
    }

    @AfterAll
    static void stopSshd() throws Exception {
        try {
            LibvirtFixture.removePool(POOL);
        } finally {
            sshd.close();
        }
    }

    @Override
    protected String uri() {
        return sshd.uri();
    }

    @Override
    protected Map<String, String> config() {
        Map<String, String> config = new HashMap<>(sshd.jumpConfig());
        config.put(LibvirtKeys.POOL, POOL);
        config.put(LibvirtKeys.POOL_PATH, "/var/lib/libvirt/images/" + POOL);
        return config;
    }

    @Override
    protected boolean supportsSharedFolders() {
        return false;
    }
}
