package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.store.VmStore;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.image.ImageStore;
import io.vboxmcp.core.internal.ssh.SshKeys;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 11, item 5: files vboxmcp keeps in its home are opened only if they are regular files. A FIFO planted where
 * a VM record, journal, SSH key or image catalog should be would block the reader forever; a link would read
 * elsewhere. Each case must answer at once (the timeout fails a test that blocks).
 */
class HomeSpecialFilesTest {
    @TempDir
    Path home;

    @BeforeEach
    void needMkfifo() {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/mkfifo")), "mkfifo not available");
    }

    private static void mkfifo(Path p) throws Exception {
        Files.createDirectories(p.getParent());
        Process pr = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertThat(pr.waitFor()).isZero();
    }

    @Test
    @Timeout(10)
    void vmRecordAndJournal_thatAreFifos_areIgnoredNotOpened_ARC07() throws Exception {
        VmStore store = new VmStore(home, Duration.ofSeconds(2));
        mkfifo(store.dir("vm1").resolve("vm.json"));
        mkfifo(store.dir("vm1").resolve("journal"));
        assertThat(store.load("vm1")).isEmpty();
        assertThat(store.readJournal("vm1")).isEmpty();
    }

    @Test
    @Timeout(10)
    void sshKey_thatIsAFifoOrALink_isATypedError_ARC07() throws Exception {
        Path key = home.resolve("vms/vm1/ssh/id_ed25519");
        mkfifo(key);
        VboxmcpException e = catchThrowableOfType(() -> SshKeys.load(key), VboxmcpException.class);
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.IO);

        Path elsewhere = Files.writeString(home.resolve("secret"), "not a key");
        Path linked = home.resolve("vms/vm2/ssh/id_ed25519");
        Files.createDirectories(linked.getParent());
        Files.createSymbolicLink(linked, elsewhere);
        VboxmcpException l = catchThrowableOfType(() -> SshKeys.load(linked), VboxmcpException.class);
        assertThat(l).isNotNull();
        assertThat(l.getMessage()).doesNotContain("not a key");
    }

    @Test
    @Timeout(10)
    void imageCatalog_thatIsAFifo_isUnreadableNotBlocking_ARC07() throws Exception {
        Path catalog = home.resolve("images/catalog.json");
        mkfifo(catalog);
        ImageStore store = new ImageStore(home, List.of(catalog.toUri()),
                HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build());
        VboxmcpException e = catchThrowableOfType(() -> store.resolve("x:1", ev -> { }), VboxmcpException.class);
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("not a regular file");
    }
}
