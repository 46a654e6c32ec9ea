package io.vboxmcp.core.internal.manager;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;

/**
 * Appends the manager's own records (create, destroy, recovery) to the audit log: a create's record fails closed
 * (AUD-07, unless {@link CoreKeys#AUDIT_FAIL_CLOSED} is false), the others are logged and never stop the operation.
 */
final class AuditWriter {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AuditWriter.class);

    private final HashChainAuditLog audit;
    private final boolean failClosed;

    AuditWriter(HashChainAuditLog audit, CoreContext context) {
        this.audit = audit;
        this.failClosed = context.config(CoreKeys.AUDIT_FAIL_CLOSED).map(Boolean::parseBoolean).orElse(true);
    }

    HashChainAuditLog log() {
        return audit;
    }

    /** @throws VboxmcpException if the record cannot be written and the log fails closed */
    void appendOrFail(HashChainAuditLog.Event e) throws VboxmcpException {
        try {
            audit.append(e);
        } catch (VboxmcpException ex) {
            if (failClosed) {
                throw ex;
            }
            LOG.warn("audit log unavailable: {}", ex.getMessage());
        }
    }

    void append(HashChainAuditLog.Event e) {
        try {
            audit.append(e);
        } catch (VboxmcpException ex) {
            LOG.warn("audit log unavailable: {}", ex.getMessage());
        }
    }
}
