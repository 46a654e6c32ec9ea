package io.vboxmcp.core.internal.audit;

import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.core.internal.util.Digests;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.AuditLog;
import io.vboxmcp.AuditLog.Checkpoint;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.core.internal.util.RegularFiles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Append-only JSON lines; each record carries {@code seq}, {@code prev} (the previous record's hash, 64 zeros for
 * the first) and {@code hash}, the SHA-256 of the record's JSON without {@code hash}. Editing a record breaks its own
 * hash; deleting or reordering records breaks {@code seq} and {@code prev} at that record.
 * Appends are serialised by a file lock across threads and processes. After every record a signed checkpoint
 * ({@link AuditCheckpoints}) covers the whole log, so truncation, deletion and whole-chain rewrites are detected
 * too (AUD-04): it costs one Ed25519 signature and one atomic file write per record (see docs/trust.md).
 */
public final class HashChainAuditLog implements AuditLog {
    static final String GENESIS = "0".repeat(64);
    // AUD-06: values of keys that look secret never reach the log
    private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|passwd|secret|token|credential|private|api[_-]?key).*");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Path lockFile;
    private final Clock clock;
    private final AuditCheckpoints checkpoints;

    /** A log whose checkpoint key is {@code <dir>/audit/checkpoint.key} beside the log file. */
    public HashChainAuditLog(Path file, Clock clock) {
        this(file, file.resolveSibling("audit").resolve("checkpoint.key"), clock);
    }

    /**
     * @param file    the log
     * @param keyFile the Ed25519 checkpoint key, created 0600 on first use; may live on another file system
     * @param clock   time source of the records
     */
    public HashChainAuditLog(Path file, Path keyFile, Clock clock) {
        this.file = file;
        this.lockFile = file.resolveSibling(file.getFileName() + ".lock");
        this.clock = clock;
        this.checkpoints = new AuditCheckpoints(keyFile, file.resolveSibling(file.getFileName() + ".checkpoint"));
    }

    /**
     * One audit event.
     *
     * @param action   e.g. {@code vm.create}, never null
     * @param outcome  {@code ok}, {@code refused} or {@code failed}, never null
     * @param fields   template, version, digest, signer, vm, reason ... (null values are dropped)
     */
    public record Event(String action, String outcome, Map<String, ?> fields) { }

    /** Appends one record. */
    public void append(Event event) throws VboxmcpException {
        requireRegularOrAbsent();
        try (FileLocks.Held ignored = FileLocks.acquire(lockFile, Duration.ofSeconds(30), "the audit log")) {
            Tail tail = readTail();
            refuseIfTampered(tail);
            ObjectNode rec = JSON.createObjectNode();
            rec.put("seq", tail.seq + 1);
            rec.put("time", clock.instant().toString());
            rec.put("actor", System.getProperty("user.name", "unknown"));
            rec.put("action", event.action());
            rec.put("outcome", event.outcome());
            event.fields().forEach((k, v) -> {
                if (v != null) {
                    // control and bidi characters are escaped so a log viewer shows what was really there (YML-13)
                    rec.put(k, SECRET_KEY.matcher(k).matches() ? "[redacted]" : Printable.of(String.valueOf(v), Integer.MAX_VALUE));
                }
            });
            rec.put("prev", tail.hash);
            rec.put("hash", sha256(JSON.writeValueAsString(rec)));
            byte[] line = (JSON.writeValueAsString(rec) + "\n").getBytes(StandardCharsets.UTF_8);
            Files.createDirectories(file.getParent());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                ch.write(java.nio.ByteBuffer.wrap(line));
                ch.force(true);
            }
            // after the record: a crash in between leaves one record beyond the checkpoint, which verifies
            checkpoints.write(tail.seq + 1, rec.get("hash").asText());
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.AUDIT, "could not write the audit log " + file + ": " + e.getMessage(), e);
        }
    }


    private record Tail(long seq, String hash) { }

    /**
     * An append must not re-bless a log that was truncated or rewritten since the last checkpoint: the new checkpoint
     * would cover the damage. So the tail is checked first (cheap: the checkpoint normally covers exactly the tail;
     * only after a crash between record and checkpoint is the whole log re-verified).
     */
    private void refuseIfTampered(Tail tail) throws VboxmcpException {
        Checkpoint cp = checkpoints.read();
        boolean consistent = cp == null
                || (tail.seq == cp.size() && tail.hash.equals(cp.rootHash()))
                || (tail.seq > cp.size() && verify().isEmpty());
        if (!consistent) {
            throw new VboxmcpException(ErrorCode.AUDIT, "the audit log " + file + " no longer matches its signed "
                    + "checkpoint (it was truncated or rewritten); nothing more is appended to it. Run 'vboxmcp audit "
                    + "verify' for details, then move the log and " + checkpoints.checkpointFile() + " aside to start a "
                    + "new one");
        }
    }

    private Tail readTail() throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) == 0) {
            return new Tail(0, GENESIS);
        }
        JsonNode n = JSON.readTree(lastLine());
        return new Tail(n.path("seq").asLong(), n.path("hash").asText());
    }

    private String lastLine() throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long end = raf.length() - 1;
            if (end >= 0) {
                raf.seek(end);
                if (raf.read() == '\n') {
                    end--;
                }
            }
            long pos = end;
            while (pos >= 0) {
                raf.seek(pos);
                if (raf.read() == '\n') {
                    break;
                }
                pos--;
            }
            byte[] buf = new byte[(int) (end - pos)];
            raf.seek(pos + 1);
            raf.readFully(buf);
            return new String(buf, StandardCharsets.UTF_8);
        }
    }

    @Override
    public Optional<BadRecord> verify() throws VboxmcpException {
        requireRegularOrAbsent();
        Checkpoint cp = checkpoints.read();  // first: a missing key or a forged checkpoint means "cannot check"
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return cp == null || cp.size() == 0 ? Optional.empty() : Optional.of(new BadRecord(1, "the log is missing "
                    + "but the signed checkpoint covers " + cp.size() + " records (the log was deleted)"));
        }
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String prevHash = GENESIS;
            long expected = 1;
            String headAtCheckpoint = null;
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    return Optional.of(new BadRecord(expected, "record is not valid JSON"));
                }
                if (n == null || !n.isObject()) {
                    return Optional.of(new BadRecord(expected, "record is not a JSON object"));
                }
                if (n.path("seq").asLong(-1) != expected) {
                    return Optional.of(new BadRecord(expected, "sequence number " + n.path("seq").asText()
                            + " where " + expected + " was expected (record deleted or reordered)"));
                }
                if (!prevHash.equals(n.path("prev").asText())) {
                    return Optional.of(new BadRecord(expected, "previous-record hash does not match (the record before "
                            + "it, or this one, was altered)"));
                }
                String claimed = n.path("hash").asText();
                ((ObjectNode) n).remove("hash");
                if (!claimed.equals(sha256(JSON.writeValueAsString(n)))) {
                    return Optional.of(new BadRecord(expected, "record content does not match its hash (altered)"));
                }
                prevHash = claimed;
                if (cp != null && expected == cp.size()) {
                    headAtCheckpoint = claimed;
                }
                expected++;
            }
            return againstCheckpoint(cp, expected - 1, headAtCheckpoint);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.AUDIT, "could not read the audit log " + file + ": " + e.getMessage(), e);
        }
    }

    private static Optional<BadRecord> againstCheckpoint(Checkpoint cp, long records, String headAtCheckpoint) {
        if (cp == null) {
            return records == 0 ? Optional.empty() : Optional.of(new BadRecord(1, "there is no signed checkpoint for "
                    + "these " + records + " records, so truncation or rewriting cannot be ruled out (the checkpoint "
                    + "was deleted, or the log predates checkpoints: the next audited operation writes one)"));
        }
        if (records < cp.size()) {
            return Optional.of(new BadRecord(records + 1, (records == 0 ? "the log is empty" : "the log ends after "
                    + records + " records") + " but the signed checkpoint covers " + cp.size() + ": records "
                    + (records + 1) + ".." + cp.size() + " were removed (truncated or emptied)"));
        }
        if (cp.size() > 0 && !cp.rootHash().equals(headAtCheckpoint)) {
            return Optional.of(new BadRecord(cp.size(), "record " + cp.size() + "'s hash differs from the signed "
                    + "checkpoint's: the log up to it was rewritten (its chain was recomputed)"));
        }
        return Optional.empty();
    }

    @Override
    public Optional<Checkpoint> checkpoint() throws VboxmcpException {
        return Optional.ofNullable(checkpoints.read());
    }

    @Override
    public long size() throws VboxmcpException {
        requireRegularOrAbsent();
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.count();
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.AUDIT, "could not read the audit log " + file, e);
        }
    }

    /** A FIFO at the log's path would block every open forever; a link would write or read elsewhere. */
    private void requireRegularOrAbsent() throws VboxmcpException {
        if (!RegularFiles.isRegularOrAbsent(file)) {
            throw new VboxmcpException(ErrorCode.AUDIT, "the audit log " + file + " is " + RegularFiles.kind(file)
                    + ", not a regular file; it was not opened");
        }
    }

    /** @return the file the log lives in */
    public Path file() {
        return file;
    }

    static String sha256(String line) {
        return Digests.sha256Hex(line);
    }

    /** Convenience for building event fields in order, dropping nulls. */
    public static Map<String, Object> fields(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put(String.valueOf(kv[i]), kv[i + 1]);
            }
        }
        return m;
    }
}
