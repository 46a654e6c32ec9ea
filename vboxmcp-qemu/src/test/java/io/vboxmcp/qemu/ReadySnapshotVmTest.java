package io.vboxmcp.qemu;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SnapshotPolicy;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.image.ReadySnapshotInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Ready snapshots on real busybox guests: one cold create saves the snapshot, clones restore from it with their own
 * identity, a changed key boots cold, a damaged snapshot is discarded and the create boots cold. One manager and
 * one saved snapshot for the whole class (CI time).
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadySnapshotVmTest {
    private Path tmp;
    private Path home;
    private Path share;
    private VmManager manager;
    private final List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    private final List<Vm> vms = new ArrayList<>();

    @BeforeAll
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("ready-snapshot");
        home = tmp.resolve("home");
        share = Files.createDirectories(tmp.resolve("shares/data"));
        Files.writeString(share.resolve("hello.txt"), "shared from the host\n");
        Path dir = Files.createDirectories(home.resolve("templates/snap/1.0.0"));
        Files.writeString(dir.resolve("template-definition.yaml"), """
                name: "snap"
                version: "1.0.0"
                base_image: "vboxmcp-test:1"
                min_ram: 256
                min_disk: 256
                min_cores: 1
                ports:
                  - 8000
                shared_folders:
                  - name: data
                    host_path: "%s"
                    guest_path: /mnt/data
                    read_only: true
                scripts:
                  - name: Provisioned marker and web server
                    command: mkdir -p /srv/www && cat /proc/sys/kernel/random/uuid > /srv/www/index.html && (busybox httpd -p 8000 -h /srv/www </dev/null >/dev/null 2>&1)
                    timeout: 30s
                """.formatted(share));
        manager = VmManager.builder().home(home)
                .defaultDriver("qemu")
                .property(CoreKeys.IMAGE_CATALOG, TestImage.catalog().toUri().toString())
                .allowSharedFolderRoot(tmp.resolve("shares"))
                .progress(events::add)
                .build();
    }

    @AfterAll
    void tearDown() throws Exception {
        try {
            for (Vm vm : manager.vms()) {
                vm.destroy();
            }
            manager.close();
        } finally {
            try (Stream<Path> s = Files.walk(tmp)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private Vm create(String name, SnapshotPolicy policy, int memory) throws VboxmcpException {
        events.clear();
        Vm vm = manager.createFromTemplate(CreateVmRequest.builder(name, TemplateRef.parse("snap@1.0.0"))
                .memoryMb(memory).snapshots(policy).build());
        vms.add(vm);
        return vm;
    }

    private List<String> finishedSteps(String vm) {
        return events.stream().filter(e -> e.kind() == ProgressEvent.Kind.STEP_FINISHED && vm.equals(e.vmName()))
                .map(ProgressEvent::step).toList();
    }

    private static String out(Vm vm, String cmd) throws VboxmcpException {
        var r = vm.exec(cmd);
        assertThat(r.exitCode()).as(cmd + ": " + r.stderr()).isZero();
        return r.stdout().trim();
    }

    @Test
    @Order(1)
    void reuse_restoresClonesWithTheirOwnIdentityAndNoProvisioning_LCY16() throws Exception {
        Vm source = create("snap-source", SnapshotPolicy.REUSE, 256);
        assertThat(finishedSteps("snap-source")).contains("create", "start", "provision", "snapshot")
                .doesNotContain("restore");
        assertThat(manager.readySnapshots().list()).singleElement()
                .satisfies(s -> assertThat(s.template()).isEqualTo("snap@1.0.0"));
        // the saved VM runs on, with its share mounted again and only its own key
        assertThat(out(source, "cat /mnt/data/hello.txt")).isEqualTo("shared from the host");
        String marker = out(source, "cat /srv/www/index.html");

        Vm a = create("snap-clone-a", SnapshotPolicy.REUSE, 256);
        List<String> stepsA = finishedSteps("snap-clone-a");
        assertThat(stepsA).contains("restore", "identity", "guest-ready").doesNotContain("create", "start", "provision");
        // the busybox guest loads no virtio console module, so no identity agent waited on the port: the clone's
        // identity went over an SSH login with the snapshot's key (the fallback; python-dev's clones take the agent)
        assertThat(events).anySatisfy(e -> {
            assertThat(e.vmName()).isEqualTo("snap-clone-a");
            assertThat(e.message()).startsWith("logged in to the clone");
        });
        Vm b = create("snap-clone-b", SnapshotPolicy.REUSE, 256);
        assertThat(finishedSteps("snap-clone-b")).contains("restore", "identity").doesNotContain("provision");

        // provisioned state came with the snapshot: the script's marker and its web server, on the clone's own port
        for (Vm clone : List.of(a, b)) {
            assertThat(out(clone, "cat /srv/www/index.html")).isEqualTo(marker);
            assertThat(httpGet(clone.hostPort(8000).orElseThrow())).isEqualTo(marker + "\n");
            assertThat(out(clone, "cat /mnt/data/hello.txt")).isEqualTo("shared from the host");
        }
        // three VMs at once, three identities
        List<Vm> all = List.of(source, a, b);
        assertThat(all.stream().map(v -> v.sshEndpoint().hostKeyPin()).distinct()).hasSize(3);
        assertThat(all.stream().map(v -> uncheckedOut(v, "cat /etc/machine-id")).distinct()).hasSize(3);
        assertThat(all.stream().map(v -> uncheckedOut(v, "head -c 16 /dev/urandom | od -An -tx1")).distinct()).hasSize(3);
        assertThat(out(a, "hostname")).isEqualTo("snap-clone-a");
        assertThat(out(b, "hostname")).isEqualTo("snap-clone-b");
        assertThat(out(a, "cat /etc/hostname")).isEqualTo("snap-clone-a");
        // the clock was set: within a minute of the host's
        long guestNow = Long.parseLong(out(a, "date +%s"));
        assertThat(Math.abs(guestNow - System.currentTimeMillis() / 1000)).isLessThan(60);
        // each reachable only with its own key: a's key is refused by b and the source, the snapshot's login key by all
        assertThat(out(a, "cat /root/.ssh/authorized_keys").lines().toList()).singleElement()
                .isEqualTo(Files.readString(a.sshEndpoint().privateKey().resolveSibling("id_ed25519.pub")).trim());
        assertLoginRefused(a.sshEndpoint().privateKey(), b);
        assertLoginRefused(a.sshEndpoint().privateKey(), source);
        Path login = manager.readySnapshots().list().get(0).dir().resolve("login/id_ed25519");
        for (Vm v : all) {
            assertLoginRefused(login, v);
        }
    }

    @Test
    @Order(2)
    void changedKey_isNotRestored() throws Exception {
        create("snap-more-memory", SnapshotPolicy.REUSE, 320);
        assertThat(finishedSteps("snap-more-memory")).contains("create", "provision", "snapshot").doesNotContain("restore");
        assertThat(manager.readySnapshots().list()).hasSize(2);
    }

    @Test
    @Order(3)
    void truncatedSnapshot_fallsBackToColdBootWithWarning() throws Exception {
        Path newest = newest();
        ReadySnapshotInfo s = manager.readySnapshots().list().stream()
                .filter(i -> !i.dir().equals(newest)).findFirst().orElseThrow();
        Path state = s.dir().resolve("state");
        state.toFile().setWritable(true);
        try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        Vm vm = create("snap-after-truncation", SnapshotPolicy.REUSE, 256);
        assertThat(events).anySatisfy(e -> assertThat(e.message()).startsWith("warning: ready snapshot")
                .contains("discarded").contains("digest"));
        assertThat(finishedSteps("snap-after-truncation")).contains("create", "provision").doesNotContain("restore");
        assertThat(out(vm, "cat /mnt/data/hello.txt")).isEqualTo("shared from the host");
    }

    @Test
    @Order(4)
    void stateRewrittenAfterItsDigestWasChecked_isNeverResumed_andTheCreateBootsCold_ART05() throws Exception {
        Path state = newest().resolve("state");  // the 256 MiB snapshot, saved again by the create before
        // the attack in the window between the digest check and QEMU reading the state: the restore reports the
        // check as a progress event on the creating thread, and this listener rewrites a byte in place right then
        ProgressListener attacker = e -> {
            if ("snap-after-rewrite".equals(e.vmName()) && e.message() != null
                    && (e.message().startsWith("state matches its digest")
                    || e.message().startsWith("state chunk list matches its digest"))) {
                try (RandomAccessFile f = new RandomAccessFile(state.toFile(), "rw")) {
                    f.seek(f.length() / 2);
                    int b = f.read();
                    f.seek(f.length() / 2);
                    f.write(b ^ 0x5a);
                } catch (IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
            }
        };
        state.toFile().setWritable(true);
        long sizeBefore = Files.size(state);
        events.clear();
        Vm vm = manager.createFromTemplate(CreateVmRequest.builder("snap-after-rewrite", TemplateRef.parse("snap@1.0.0"))
                .memoryMb(256).snapshots(SnapshotPolicy.REUSE).progress(attacker).build());
        vms.add(vm);
        // the bytes QEMU got no longer hash to the record (or QEMU could not even parse them): never resumed
        assertThat(events).anySatisfy(e -> assertThat(e.message()).startsWith("warning: ready snapshot")
                .contains("discarded").containsAnyOf("as streamed to QEMU", "migration failed", "state chunk"));
        assertThat(finishedSteps("snap-after-rewrite")).contains("create", "provision").doesNotContain("restore");
        assertThat(out(vm, "cat /mnt/data/hello.txt")).isEqualTo("shared from the host");
        assertThat(sizeBefore).as("the attack rewrote a byte in place, the size stayed").isPositive();
    }

    @Test
    @Order(5)
    void pruneAll_deletesEverySnapshotAndItsFiles() throws Exception {
        List<ReadySnapshotInfo> before = manager.readySnapshots().list();
        assertThat(before).isNotEmpty();
        assertThat(manager.readySnapshots().prune(true).removed()).containsExactlyInAnyOrderElementsOf(
                before.stream().map(ReadySnapshotInfo::dir).toList());
        assertThat(manager.readySnapshots().list()).isEmpty();
        before.forEach(i -> assertThat(i.dir()).doesNotExist());
    }

    private Path newest() throws VboxmcpException {
        return manager.readySnapshots().list().get(0).dir();
    }

    private static String uncheckedOut(Vm vm, String cmd) {
        try {
            return out(vm, cmd);
        } catch (VboxmcpException e) {
            throw new AssertionError(e);
        }
    }

    private void assertLoginRefused(Path privateKey, Vm target) throws Exception {
        SshKeys.SshKeyPair keys = SshKeys.load(privateKey);
        Path pin = Files.createTempFile(tmp, "pin", "");
        Files.delete(pin);
        VboxmcpException e = catchThrowableOfType(() -> SshGuestChannel.connect(target.sshEndpoint().host(),
                target.sshEndpoint().port(), "root", keys.keyPair(), pin, Duration.ofSeconds(20)).close(),
                VboxmcpException.class);
        assertThat(e).as("login to " + target.name() + " with " + privateKey).isNotNull();
        assertThat(e.getMessage()).containsIgnoringCase("authentication");
    }

    private static String httpGet(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String resp = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int body = resp.indexOf("\r\n\r\n");
            return body < 0 ? "" : resp.substring(body + 4);
        }
    }
}
