package io.vboxmcp.core.internal.snapshot;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.image.PruneResult;
import io.vboxmcp.image.ReadySnapshotInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class SnapshotCacheTest {
    @TempDir
    Path home;

    private static Map<String, String> parts(String memory) {
        Map<String, String> p = new TreeMap<>();
        p.put("template.digest", "sha256:aa");
        p.put("memory", memory);
        return p;
    }

    private Path save(SnapshotCache cache, Map<String, String> parts, int bytes) throws Exception {
        String key = SnapshotKey.hash(parts);
        Path staged = cache.stage();
        Files.write(staged.resolve("state"), new byte[bytes]);
        return cache.commit(staged, new SnapshotCache.Record(key, parts, "t@1.0.0", "qemu", Map.of("state", "sha256:x"),
                "SHA256:pin", "ssh-ed25519 AAAA src", "ssh-ed25519 BBBB login", Instant.now().toString(), null));
    }

    @Test
    void key_changesWhenAnyPartChanges() {
        assertThat(SnapshotKey.hash(parts("256"))).isEqualTo(SnapshotKey.hash(parts("256")))
                .isNotEqualTo(SnapshotKey.hash(parts("320")));
        Map<String, String> other = parts("256");
        other.put("qemu:qemu.version", "QEMU emulator version 8.2.0");
        assertThat(SnapshotKey.hash(other)).isNotEqualTo(SnapshotKey.hash(parts("256")));
    }

    @Test
    void find_returnsACommittedSnapshotOfItsKey() throws Exception {
        SnapshotCache cache = new SnapshotCache(home, Long.MAX_VALUE);
        Path dir = save(cache, parts("256"), 10);
        assertThat(cache.find(SnapshotKey.hash(parts("256")))).hasValueSatisfying(e -> assertThat(e.dir()).isEqualTo(dir));
        assertThat(cache.find(SnapshotKey.hash(parts("320")))).isEmpty();
    }

    @Test
    void find_refusesARecordWhosePartsDoNotHashToItsKey() throws Exception {
        SnapshotCache cache = new SnapshotCache(home, Long.MAX_VALUE);
        Path dir = save(cache, parts("256"), 10);
        String json = Files.readString(dir.resolve(SnapshotCache.RECORD)).replace("\"256\"", "\"4096\"");
        Files.writeString(dir.resolve(SnapshotCache.RECORD), json);
        VboxmcpException e = catchThrowableOfType(() -> cache.find(SnapshotKey.hash(parts("256"))), VboxmcpException.class);
        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(cache.list()).isEmpty();
    }

    @Test
    void find_refusesARecordWhoseDigestsWereRewrittenWithoutTheHomesKey_ART05() throws Exception {
        SnapshotCache cache = new SnapshotCache(home, Long.MAX_VALUE);
        Path dir = save(cache, parts("256"), 10);
        String key = SnapshotKey.hash(parts("256"));
        assertThat(cache.find(key)).isPresent();
        // a writer of the cache points the record at a state file of its own; key and parts still agree
        Path record = dir.resolve(SnapshotCache.RECORD);
        Files.writeString(record, Files.readString(record).replace("sha256:x", "sha256:" + "ab".repeat(32)));
        VboxmcpException e = catchThrowableOfType(() -> cache.find(key), VboxmcpException.class);
        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(e.getMessage()).contains("MAC");
        assertThat(cache.list()).isEmpty();
    }

    @Test
    void find_refusesASnapshotMadeByAnotherHome_ART05(@TempDir Path other) throws Exception {
        SnapshotCache theirs = new SnapshotCache(other, Long.MAX_VALUE);
        Path foreign = save(theirs, parts("256"), 10);
        SnapshotCache ours = new SnapshotCache(home, Long.MAX_VALUE);
        save(ours, parts("320"), 10);  // this home has its own key
        String key = SnapshotKey.hash(parts("256"));
        io.vboxmcp.core.internal.util.AtomicFiles.copyTree(foreign, ours.root().resolve(key));
        VboxmcpException e = catchThrowableOfType(() -> ours.find(key), VboxmcpException.class);
        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(Files.getPosixFilePermissions(home.resolve(SnapshotMac.FILE)))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void find_refusesAFolderWithoutItsRecord() throws Exception {
        SnapshotCache cache = new SnapshotCache(home, Long.MAX_VALUE);
        Files.createDirectories(cache.root().resolve(SnapshotKey.hash(parts("256"))));
        VboxmcpException e = catchThrowableOfType(() -> cache.find(SnapshotKey.hash(parts("256"))), VboxmcpException.class);
        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
    }

    @Test
    void prune_removesDamagedOnesAndTheLeastRecentlyUsedBeyondTheBudget() throws Exception {
        SnapshotCache cache = new SnapshotCache(home, 1500);
        Path old = save(cache, parts("256"), 1000);
        Path recent = save(cache, parts("320"), 1000);
        Files.setLastModifiedTime(old.resolve("last-used"), FileTime.from(Instant.now().minusSeconds(3600)));
        Path broken = Files.createDirectories(cache.root().resolve("0".repeat(64)));
        assertThat(cache.list()).extracting(ReadySnapshotInfo::dir).containsExactly(recent, old);

        PruneResult r = cache.prune(false);
        assertThat(r.removed()).containsExactlyInAnyOrder(old, broken);
        assertThat(cache.list()).extracting(ReadySnapshotInfo::dir).containsExactly(recent);
        assertThat(cache.prune(true).removed()).containsExactly(recent);
        assertThat(cache.list()).isEmpty();
    }

    @Test
    void identityScript_replacesOnlyTheSnapshotsKeysAndQuotesEveryValue() throws Exception {
        String s = GuestIdentity.script(new GuestIdentity.Request("vm-a", "iid-1", "ssh-ed25519 NEWKEY vm-a",
                        List.of("ssh-ed25519 OLDKEY src", "ssh-ed25519 LOGINKEY login"), List.of("mount /x")),
                1_700_000_000L, "00ff", "0123456789abcdef0123456789abcdef", "PRIVATE 'KEY'", "ssh-ed25519 HOSTKEY root@vm-a");
        assertThat(s).contains("case $l in *'OLDKEY'*|*'LOGINKEY'*) hit=1;;", "\"$kept\" 'ssh-ed25519 NEWKEY vm-a' > \"$f\"",
                "> /proc/sys/kernel/hostname", "date -u -s @1700000000", "'PRIVATE '\\''KEY'\\'''",
                "'ssh-ed25519 HOSTKEY root@vm-a' > /etc/ssh/ssh_host_ed25519_key.pub", "kill -HUP",
                "dropbearkey -t ed25519", "\nmount /x\n");
        // the SSH server's restart is sent before, and waited for after, the rest of the reset
        assertThat(s.indexOf("kill -HUP")).isLessThan(s.indexOf("/etc/machine-id"));
        assertThat(s.indexOf("did not come back")).isGreaterThan(s.indexOf("/var/lib/cloud/data"));
        // the guests' shells parse it (Debian's dash here; busybox ash has the same grammar)
        Path file = home.resolve("identity.sh");
        Files.writeString(file, s);
        Process p = new ProcessBuilder("/bin/sh", "-n", file.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes())).isZero();
    }

    @Test
    void replaceDiscardAndPrune_letTheDriverReleaseWhatItKeepsBeforeTheFolderGoes() throws Exception {
        List<String> released = new java.util.ArrayList<>();
        SnapshotCache cache = new SnapshotCache(home, Long.MAX_VALUE,
                (dir, driver) -> released.add(dir.getFileName() + ":" + driver + ":" + Files.isDirectory(dir)));
        String a = save(cache, parts("1024"), 10).getFileName().toString();
        save(cache, parts("1024"), 10);  // replaces a: its old folder is released first
        String b = save(cache, parts("2048"), 10).getFileName().toString();
        cache.discard(b);
        cache.prune(true);
        assertThat(released).containsExactly(a + ":qemu:true", b + ":qemu:true", a + ":qemu:true");
    }
}
