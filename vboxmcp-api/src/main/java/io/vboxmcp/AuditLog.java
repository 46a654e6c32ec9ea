package io.vboxmcp;

import java.util.Optional;

/**
 * The append-only, hash-chained audit log under {@code <home>/audit.log}: one JSON object per line, each carrying
 * the SHA-256 of the previous line, so any edit, deletion or reordering is detected by {@link #verify()}.
 */
public interface AuditLog {
    /**
     * Verifies the whole chain from the first record.
     *
     * @return the first bad record, or empty if the chain is intact
     * @throws VboxmcpException if the log cannot be read
     */
    Optional<BadRecord> verify() throws VboxmcpException;

    /** @return how many records the log holds */
    long size() throws VboxmcpException;

    /**
     * The first record that breaks the chain.
     *
     * @param seq    1-based line number
     * @param reason why it is bad, never null
     */
    record BadRecord(long seq, String reason) { }
}
