package io.vboxmcp.core.internal.audit;

import io.vboxmcp.AuditLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class HashChainAuditLogTest {
    @TempDir
    Path dir;

    private HashChainAuditLog log() {
        return new HashChainAuditLog(dir.resolve("audit.log"), Clock.systemUTC());
    }

    private void write(HashChainAuditLog log, int n) throws Exception {
        for (int i = 1; i <= n; i++) {
            log.append(new HashChainAuditLog.Event("vm.create", "ok", HashChainAuditLog.fields("vm", "vm-" + i)));
        }
    }

    @Test
    void verify_acceptsIntactChainFromGenesis_AUD01() throws Exception {
        HashChainAuditLog log = log();
        write(log, 100);
        assertThat(log.verify()).as("an untouched log verifies").isEmpty();
        assertThat(log.size()).isEqualTo(100);
        assertThat(Files.readAllLines(log.file()).get(0)).contains("\"prev\":\"" + "0".repeat(64) + "\"");
    }

    @Test
    void verify_findsFlippedByteInRecord57_AUD02() throws Exception {
        HashChainAuditLog log = log();
        write(log, 100);
        List<String> lines = Files.readAllLines(log.file());
        lines.set(56, lines.get(56).replace("vm-57", "vm-58"));
        Files.write(log.file(), lines);
        Optional<AuditLog.BadRecord> bad = log.verify();
        assertThat(bad).as("tampering is detected at the altered record").isPresent();
        assertThat(bad.get().seq()).isEqualTo(57);
    }

    @Test
    void verify_findsRecordRewrittenWithFreshSelfHashAtTheNextRecord() throws Exception {
        HashChainAuditLog log = log();
        write(log, 10);
        List<String> lines = Files.readAllLines(log.file());
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var n = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(lines.get(4));
        n.put("vm", "forged");
        n.remove("hash");
        n.put("hash", HashChainAuditLog.sha256(mapper.writeValueAsString(n)));
        lines.set(4, mapper.writeValueAsString(n));
        Files.write(log.file(), lines);
        assertThat(log.verify()).map(AuditLog.BadRecord::seq).contains(6L);
    }

    @Test
    void verify_findsDeletedRecord_AUD03() throws Exception {
        HashChainAuditLog log = log();
        write(log, 20);
        List<String> lines = new ArrayList<>(Files.readAllLines(log.file()));
        lines.remove(9);
        Files.write(log.file(), lines);
        assertThat(log.verify()).map(AuditLog.BadRecord::seq).contains(10L);
    }

    @Test
    void verify_findsReorderedRecords_AUD03() throws Exception {
        HashChainAuditLog log = log();
        write(log, 20);
        List<String> lines = new ArrayList<>(Files.readAllLines(log.file()));
        Collections.swap(lines, 4, 5);
        Files.write(log.file(), lines);
        assertThat(log.verify()).map(AuditLog.BadRecord::seq).contains(5L);
    }

    @Test
    void verify_findsGarbageLine() throws Exception {
        HashChainAuditLog log = log();
        write(log, 3);
        Files.writeString(log.file(), "not json\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        assertThat(log.verify()).map(AuditLog.BadRecord::seq).contains(4L);
    }

    @Test
    void append_redactsSecretFields_AUD06() throws Exception {
        HashChainAuditLog log = log();
        log.append(new HashChainAuditLog.Event("source.add", "ok", HashChainAuditLog.fields(
                "source", "corp", "password", "hunter2", "api_token", "tok-123", "reason", "ok")));
        String text = Files.readString(log.file());
        assertThat(text).doesNotContain("hunter2").doesNotContain("tok-123").contains("[redacted]").contains("corp");
    }

    @Test
    void append_escapesControlAndBidiCharacters_YML13() throws Exception {
        HashChainAuditLog log = log();
        log.append(new HashChainAuditLog.Event("vm.create", "failed", HashChainAuditLog.fields(
                "reason", "evil\u202Etxt.exe\u001b[31m")));
        String text = Files.readString(log.file());
        assertThat(text).doesNotContain("\u202E").doesNotContain("\u001b").contains("\\\\u202e");
    }

    @Test
    void append_fromEightThreadsKeepsGapFreeChain_AUD08() throws Exception {
        HashChainAuditLog log = log();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            fs.add(pool.submit(() -> {
                write(log, 25);
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(log.size()).isEqualTo(200);
        assertThat(log.verify()).as("concurrent appends keep a valid chain").isEmpty();
    }

    @Test
    void record_fromAnEmbeddingApplication_joinsTheChain_butCannotOverwriteItsFields() throws Exception {
        HashChainAuditLog log = log();
        AuditLog api = log;
        api.record("mcp.create_vm", "refused", java.util.Map.of("client", "agent\u0007", "code", "POLICY_VIOLATION"));
        assertThat(log.size()).isEqualTo(1);
        assertThat(log.verify()).isEmpty();
        String line = Files.readAllLines(dir.resolve("audit.log")).get(0);
        assertThat(line).contains("\"action\":\"mcp.create_vm\"", "\"outcome\":\"refused\"", "\"client\":\"agent")
                .doesNotContain("\u0007");
        for (String key : List.of("prev", "hash", "seq", "actor", "Bad Key")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> api.record("mcp.x", "ok", java.util.Map.of(key, "v")))
                    .hasMessageContaining("audit field name not allowed");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> api.record("mcp.x", "maybe", java.util.Map.of()))
                .hasMessageContaining("ok, refused or failed");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> api.record("MCP X", "ok", java.util.Map.of()))
                .hasMessageContaining("audit action must match");
        assertThat(log.size()).as("nothing written for a refused record").isEqualTo(1);
    }
}
