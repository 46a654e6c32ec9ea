package io.vboxmcp.cli.internal;

import io.vboxmcp.core.internal.snapshot.SnapshotCache;
import io.vboxmcp.core.internal.snapshot.SnapshotKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code create --snapshot} and {@code images snapshots|prune --snapshots} through the real launcher. */
class CliSnapshotsTest {
    @TempDir
    Path tmp;

    @Test
    void create_withAnUnknownSnapshotPolicy_isAUsageErrorNamingTheChoices() {
        Launcher.Result r = new Launcher(tmp.resolve("home")).run("create", "vm1", "-t", "t@1.0.0", "--snapshot", "sometimes");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--snapshot", "reuse, refresh or never");
        assertThat(tmp.resolve("home/vms/vm1")).doesNotExist();
    }

    @Test
    void imagesSnapshots_listsSavedSnapshotsWithSizes_andPruneAllDeletesThem() throws Exception {
        Path home = tmp.resolve("home");
        SnapshotCache cache = new SnapshotCache(home, Long.MAX_VALUE);
        Map<String, String> parts = Map.of("template", "web@1.0.0", "memory", "256");
        String key = SnapshotKey.hash(parts);
        Path staged = cache.stage();
        Files.write(staged.resolve("state"), new byte[4096]);
        Path dir = cache.commit(staged, new SnapshotCache.Record(key, parts, "web@1.0.0", "qemu", Map.of("state", "sha256:0"),
                "SHA256:pin", "ssh-ed25519 AAAA a", "ssh-ed25519 BBBB b", Instant.now().toString(), null));
        Launcher cli = new Launcher(home);

        Launcher.Result text = cli.run("images", "snapshots");
        assertThat(text.exit()).as(text.err()).isZero();
        assertThat(text.out()).contains(key.substring(0, 12), "web@1.0.0", "qemu");
        Launcher.Result json = cli.run("images", "snapshots", "--json");
        assertThat(json.out()).containsPattern("\"key\" ?: ?\"" + key + "\"").containsPattern("\"bytes\" ?: ?4[0-9]{3}");

        Launcher.Result prune = cli.run("images", "prune", "--snapshots", "--all");
        assertThat(prune.exit()).as(prune.err()).isZero();
        assertThat(dir).doesNotExist();
        assertThat(cli.run("images", "snapshots", "--json").out()).containsPattern("\"snapshots\" ?: ?\\[ ?\\]");
    }
}
