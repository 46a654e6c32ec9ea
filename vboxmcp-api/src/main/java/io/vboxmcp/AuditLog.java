package io.vboxmcp;

import java.util.Map;
import java.util.Optional;

/**
 * The append-only, hash-chained audit log under {@code <home>/audit.log}: one JSON object per line, each carrying
 * the SHA-256 of the previous line, so any edit, deletion or reordering is detected by {@link #verify()}. After
 * every record the log writes a signed checkpoint (its size and the last record's hash, signed with a per-home
 * Ed25519 key kept apart from the log), so truncating, emptying, deleting or rewriting the whole log is detected
 * too.
 *
 * @since 0.2.0
 */
public interface AuditLog {
    /**
     * Verifies the whole chain from the first record, then checks it against the latest signed checkpoint.
     *
     * @return the first bad record (for a truncated, emptied or deleted log: the first record the checkpoint covers
     *         that is missing; for a rewritten log: the record whose hash differs from the checkpoint's), or empty if
     *         the chain is intact and agrees with the checkpoint
     * @throws VboxmcpException {@link ErrorCode#AUDIT} if the log or the checkpoint cannot be read, or cannot be
     *                          checked (the checkpoint key is missing, or the checkpoint's signature does not verify
     *                          with this home's key)
     */
    Optional<BadRecord> verify() throws VboxmcpException;

    /**
     * Appends one record on behalf of an application that embeds the manager (an MCP server, a web service), so that
     * what its users asked for sits in the same chain as what the manager did.
     *
     * @param action  {@code [a-z][a-z0-9._-]{0,63}}, e.g. {@code mcp.create_vm}; never null
     * @param outcome {@code ok}, {@code refused} or {@code failed}; never null
     * @param fields  extra fields (values are escaped, secret-looking keys redacted); keys must not be one of the
     *                record's own ({@code seq time actor action outcome prev hash}); never null
     * @throws VboxmcpException {@link ErrorCode#INVALID_ARGUMENT} for a bad action, outcome or key;
     *                          {@link ErrorCode#AUDIT} if the record cannot be written (also by logs that accept no
     *                          records from callers, the default)
     * @since 0.2.0
     */
    default void record(String action, String outcome, Map<String, String> fields) throws VboxmcpException {
        throw new VboxmcpException(ErrorCode.AUDIT, "this audit log accepts no records from callers");
    }

    /**
     * @return how many records the log holds
     * @throws VboxmcpException if the log cannot be read
     */
    long size() throws VboxmcpException;

    /**
     * @return the latest checkpoint after its signature was verified, or empty if none was written yet
     * @throws VboxmcpException {@link ErrorCode#AUDIT} as for {@link #verify()}
     */
    Optional<Checkpoint> checkpoint() throws VboxmcpException;

    /**
     * The first record that breaks the chain.
     *
     * @param seq    1-based line number
     * @param reason why it is bad, never null
     */
    record BadRecord(long seq, String reason) { }

    /**
     * A verified checkpoint: the log had {@code size} records and the last one's hash was {@code rootHash}.
     *
     * @param origin   the first line of the signed note, naming this log
     * @param size     number of records covered
     * @param rootHash hex SHA-256 chain hash of record {@code size} (64 zeros for an empty log)
     */
    record Checkpoint(String origin, long size, String rootHash) { }
}
