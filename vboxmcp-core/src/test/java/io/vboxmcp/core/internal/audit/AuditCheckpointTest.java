package io.vboxmcp.core.internal.audit;

import io.vboxmcp.AuditLog;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Signed checkpoints: what the hash chain alone cannot see (AUD-04, AUD-05). */
class AuditCheckpointTest {
    @TempDir
    Path home;

    private HashChainAuditLog log() {
        return new HashChainAuditLog(home.resolve("audit.log"), Clock.systemUTC());
    }

    private static void write(HashChainAuditLog log, int n) throws VboxmcpException {
        for (int i = 1; i <= n; i++) {
            log.append(new HashChainAuditLog.Event("vm.create", "ok", HashChainAuditLog.fields("vm", "vm-" + i)));
        }
    }

    /** Overwrites the log with a valid chain of {@code n} other records, computed elsewhere with another key. */
    private void replaceWithForgedChain(HashChainAuditLog log, int n) throws Exception {
        Path other = Files.createDirectory(home.resolve("attacker"));
        HashChainAuditLog forged = new HashChainAuditLog(other.resolve("audit.log"), Clock.systemUTC());
        write(forged, n);
        List<String> lines = Files.readAllLines(forged.file());
        assertThat(lines).isNotEqualTo(Files.readAllLines(log.file()));
        Files.copy(forged.file(), log.file(), StandardCopyOption.REPLACE_EXISTING);
    }

    private Path checkpointFile() {
        return home.resolve("audit.log.checkpoint");
    }

    @Test
    void append_writesCheckpointCoveringEveryRecordWithPrivateKey_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 3);
        AuditLog.Checkpoint cp = log.checkpoint().orElseThrow();
        assertThat(cp.size()).isEqualTo(3);
        assertThat(cp.origin()).startsWith(AuditCheckpoints.ORIGIN_PREFIX);
        String last = Files.readAllLines(log.file()).get(2);
        assertThat(last).contains("\"hash\":\"" + cp.rootHash() + "\"");
        Path key = home.resolve("audit").resolve("checkpoint.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent()))).isEqualTo("rwx------");
        List<String> note = Files.readAllLines(checkpointFile());
        assertThat(note).hasSize(5);
        assertThat(note.get(1)).isEqualTo("3");
        assertThat(note.get(3)).isEmpty();
        assertThat(note.get(4)).startsWith("\u2014 vboxmcp-audit ");
        assertThat(log.verify()).isEmpty();
    }

    @Test
    void verify_detectsTruncatedTail_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 20);
        List<String> lines = Files.readAllLines(log.file());
        Files.write(log.file(), lines.subList(0, 17));
        assertThat(log.verify()).hasValueSatisfying(bad -> {
            assertThat(bad.seq()).isEqualTo(18);
            assertThat(bad.reason()).contains("ends after 17 records").contains("covers 20").contains("truncated");
        });
    }

    @Test
    void verify_detectsEmptiedLog_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 5);
        Files.write(log.file(), new byte[0]);
        assertThat(log.verify()).hasValueSatisfying(bad -> {
            assertThat(bad.seq()).isEqualTo(1);
            assertThat(bad.reason()).contains("the log is empty").contains("covers 5");
        });
    }

    @Test
    void verify_detectsDeletedLog_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 5);
        Files.delete(log.file());
        assertThat(log.verify()).hasValueSatisfying(bad -> assertThat(bad.reason()).contains("deleted").contains("5"));
    }

    @Test
    void verify_detectsWholeChainRecomputed_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 6);
        // the attacker writes a complete, self-consistent chain of the same length with other content
        replaceWithForgedChain(log, 6);
        assertThat(log.verify()).hasValueSatisfying(bad -> {
            assertThat(bad.seq()).isEqualTo(6);
            assertThat(bad.reason()).contains("rewritten");
        });
    }

    @Test
    void verify_detectsRewrittenShorterChainPlusNewRecords_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 4);
        replaceWithForgedChain(log, 9);
        assertThat(log.verify()).map(AuditLog.BadRecord::seq).contains(4L);
    }

    @Test
    void append_refusesToReblessTruncatedLog_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 8);
        List<String> lines = Files.readAllLines(log.file());
        Files.write(log.file(), lines.subList(0, 5));
        String checkpointBefore = Files.readString(checkpointFile());
        assertThatThrownBy(() -> write(log, 1)).isInstanceOfSatisfying(VboxmcpException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.AUDIT));
        assertThat(Files.readAllLines(log.file())).as("nothing appended").hasSize(5);
        assertThat(Files.readString(checkpointFile())).as("checkpoint unchanged").isEqualTo(checkpointBefore);
        assertThat(log.verify()).map(AuditLog.BadRecord::seq).contains(6L);
    }

    @Test
    void verify_acceptsRecordsWrittenAfterTheCheckpointByACrashedAppend_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 3);
        byte[] atThree = Files.readAllBytes(checkpointFile());
        write(log, 2);
        // a process killed between the record and its checkpoint leaves the older checkpoint
        Files.write(checkpointFile(), atThree);
        assertThat(log.verify()).isEmpty();
        write(log, 1);
        assertThat(log.checkpoint().orElseThrow().size()).isEqualTo(6);
        assertThat(log.verify()).isEmpty();
    }

    @Test
    void verify_refusesCheckpointSignedWithAnotherKey_AUD05() throws Exception {
        HashChainAuditLog log = log();
        write(log, 3);
        // someone holding another Ed25519 key (a template or publisher key) signs a checkpoint for a shorter log
        Files.write(log.file(), Files.readAllLines(log.file()).subList(0, 1));
        String origin = log.checkpoint().orElseThrow().origin();
        String head = Files.readAllLines(log.file()).get(0).replaceAll(".*\"hash\":\"([0-9a-f]{64})\".*", "$1");
        Ed25519PrivateKeyParameters templateKey = new Ed25519PrivateKeyParameters(new SecureRandom());
        String body = AuditCheckpoints.body(origin, 1, head);
        byte[] homeKeyHash = Arrays.copyOf(Base64.getDecoder().decode(Files.readAllLines(checkpointFile()).get(4)
                .substring("\u2014 vboxmcp-audit ".length())), 4);
        for (boolean claimHomeKeyHash : new boolean[] {false, true}) {
            Ed25519Signer s = new Ed25519Signer();
            s.init(true, templateKey);
            byte[] msg = body.getBytes(StandardCharsets.UTF_8);
            s.update(msg, 0, msg.length);
            byte[] keyHash = claimHomeKeyHash ? homeKeyHash : AuditCheckpoints.keyHash(templateKey.generatePublicKey());
            byte[] raw = new byte[68];
            System.arraycopy(keyHash, 0, raw, 0, 4);
            System.arraycopy(s.generateSignature(), 0, raw, 4, 64);
            String note = body + "\n\u2014 vboxmcp-audit " + Base64.getEncoder().encodeToString(raw) + "\n";
            Files.writeString(checkpointFile(), note);
            // its own key hash gives it away at once; a copied key hash, at the signature check
            String why = claimHomeKeyHash ? "does not verify with this home's audit key" : "signed by another key";
            assertThatThrownBy(log::verify).isInstanceOfSatisfying(VboxmcpException.class, e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.AUDIT);
                assertThat(e.getMessage()).contains(why);
            });
        }
    }

    @Test
    void verify_refusesSignedTextThatIsNotAnAuditCheckpoint_AUD05() throws Exception {
        HashChainAuditLog log = log();
        write(log, 1);
        List<String> note = Files.readAllLines(checkpointFile());
        // same signature, text without the fixed origin line (as if it were a manifest or another protocol's note)
        Files.write(checkpointFile(), List.of("vboxmcp-manifest-v1", note.get(1), note.get(2), "", note.get(4)));
        assertThatThrownBy(log::verify).isInstanceOfSatisfying(VboxmcpException.class,
                e -> assertThat(e.getMessage()).contains("not an audit-log checkpoint"));
    }

    @Test
    void verify_saysItCannotCheckWhenTheKeyIsDeleted_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 2);
        Files.delete(home.resolve("audit").resolve("checkpoint.key"));
        assertThatThrownBy(log::verify).isInstanceOfSatisfying(VboxmcpException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.AUDIT);
            assertThat(e.getMessage()).contains("cannot check").contains("checkpoint.key");
        });
        assertThatThrownBy(() -> write(log, 1)).as("no new key silently re-blesses the log")
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.AUDIT));
        assertThat(home.resolve("audit").resolve("checkpoint.key")).doesNotExist();
    }

    @Test
    void verify_reportsLogWithoutCheckpoint_AUD04() throws Exception {
        HashChainAuditLog log = log();
        write(log, 2);
        Files.delete(checkpointFile());
        assertThat(log.verify()).hasValueSatisfying(bad -> assertThat(bad.reason()).contains("no signed checkpoint"));
    }

    @Test
    void verify_refusesFifoInsteadOfBlocking() throws Exception {
        Path fifo = home.resolve("audit.log");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(p.waitFor()).isZero();
        assertThatThrownBy(log()::verify).isInstanceOfSatisfying(VboxmcpException.class,
                e -> assertThat(e.getMessage()).contains("not a regular file"));
    }
}
