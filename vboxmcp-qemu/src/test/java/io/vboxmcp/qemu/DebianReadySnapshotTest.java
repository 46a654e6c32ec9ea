package io.vboxmcp.qemu;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.SnapshotPolicy;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.testkit.http.DebianGuestFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Ready snapshots on the real Debian 12 guest (systemd, cloud-init, OpenSSH): one cold create saves the snapshot,
 * two clones restore from it and answer an SSH login with their own host keys, machine-ids and hostnames, with
 * cloud-init done and systemd's ssh service active. A minimal template (no packages) keeps the cold boot to the
 * guest's ~40 s; the python-dev restore is measured by scripts/bench-snapshot.sh. Needs root (the image build).
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DebianReadySnapshotTest {
    private Path tmp;
    private DebianGuestFixture debian;
    private VmManager manager;
    private final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "building the Debian image needs root");
        tmp = Files.createTempDirectory("debian-ready-snapshot");
        debian = DebianGuestFixture.start(TestImage.repoRoot(), Files.createDirectories(tmp.resolve("fixture")));
        Path home = tmp.resolve("home");
        Path dir = Files.createDirectories(home.resolve("templates/deb-snap/1.0.0"));
        Files.writeString(dir.resolve("template-definition.yaml"), """
                name: "deb-snap"
                version: "1.0.0"
                base_image: "debian:12"
                min_ram: 1024
                min_cores: 2
                scripts:
                  - name: Provisioned marker
                    command: cat /proc/sys/kernel/random/uuid > /var/lib/provisioned
                    timeout: 60s
                """);
        manager = VmManager.builder().home(home).defaultDriver("qemu")
                .property(CoreKeys.IMAGE_CATALOG, debian.catalog().toUri().toString())
                .property(CoreKeys.READY_TIMEOUT, "900")
                .progress(events::add).build();
    }

    @AfterAll
    void tearDown() throws Exception {
        try {
            if (manager != null) {
                for (Vm vm : manager.vms()) {
                    vm.destroy();
                }
                manager.close();
            }
        } finally {
            if (debian != null) {
                debian.close();
            }
        }
    }

    private Vm create(String name) throws VboxmcpException {
        events.clear();
        long t0 = System.nanoTime();
        Vm vm = manager.createFromTemplate(CreateVmRequest.builder(name, TemplateRef.parse("deb-snap@1.0.0"))
                .snapshots(SnapshotPolicy.REUSE).build());
        System.out.printf("%s: create to SSH login took %d ms%n", name, (System.nanoTime() - t0) / 1_000_000);
        events.stream().filter(e -> name.equals(e.vmName()) && e.kind() == ProgressEvent.Kind.STEP_FINISHED)
                .forEach(e -> System.out.printf("  %-16s %6d ms%n", e.step(), e.elapsed().toMillis()));
        return vm;
    }

    private List<String> steps(String vm) {
        return events.stream().filter(e -> e.kind() == ProgressEvent.Kind.STEP_FINISHED && vm.equals(e.vmName()))
                .map(ProgressEvent::step).toList();
    }

    private static String out(Vm vm, String cmd) throws VboxmcpException {
        var r = vm.exec(cmd);
        assertThat(r.exitCode()).as(cmd + ": " + r.stderr()).isZero();
        return r.stdout().trim();
    }

    @Test
    void clonesOfTheDebianGuest_restoreToSshLoginWithTheirOwnIdentity_LCY16() throws Exception {
        Vm source = create("deb-source");
        assertThat(steps("deb-source")).contains("provision", "snapshot");
        String marker = out(source, "cat /var/lib/provisioned");
        Vm a = create("deb-clone-a");
        assertThat(steps("deb-clone-a")).contains("restore", "identity", "guest-ready").doesNotContain("provision");
        Vm b = create("deb-clone-b");
        assertThat(steps("deb-clone-b")).contains("restore", "identity").doesNotContain("provision");

        List<Vm> all = List.of(source, a, b);
        for (Vm clone : List.of(a, b)) {
            assertThat(out(clone, "cat /var/lib/provisioned")).isEqualTo(marker);
            assertThat(out(clone, "cloud-init status")).contains("status: done");
            assertThat(out(clone, "systemctl is-active ssh")).isEqualTo("active");
            assertThat(out(clone, "hostname")).isEqualTo(clone.name());
            assertThat(out(clone, "cat /var/lib/cloud/data/instance-id")).isNotEqualTo(
                    out(source, "cat /var/lib/cloud/data/instance-id"));
        }
        assertThat(all.stream().map(v -> v.sshEndpoint().hostKeyPin()).distinct()).hasSize(3);
        assertThat(all.stream().map(v -> exec(v, "cat /etc/ssh/ssh_host_ed25519_key.pub")).distinct()).hasSize(3);
        assertThat(all.stream().map(v -> exec(v, "cat /etc/machine-id")).distinct()).hasSize(3);
        assertThat(all.stream().map(v -> exec(v, "head -c 16 /dev/urandom | od -An -tx1")).distinct()).hasSize(3);
        assertThat(out(a, "cat /root/.ssh/authorized_keys").lines().toList()).singleElement()
                .isEqualTo(Files.readString(a.sshEndpoint().privateKey().resolveSibling("id_ed25519.pub")).trim());
    }

    private static String exec(Vm vm, String cmd) {
        try {
            return out(vm, cmd);
        } catch (VboxmcpException e) {
            throw new AssertionError(e);
        }
    }
}
