package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.store.VmStore;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;
import io.vboxmcp.core.internal.util.FileLocks;

import java.util.List;
import java.util.Optional;

/**
 * LCY-05: a create whose journal has no {@code COMMIT} and whose lock is free was killed half-way (the process
 * died); the next manager that opens the home destroys its machine and folder.
 */
final class CrashRecovery {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CrashRecovery.class);

    private final VmStore store;
    private final ProviderRegistry registry;
    private final CoreContext context;
    private final AuditWriter audit;

    CrashRecovery(VmStore store, ProviderRegistry registry, CoreContext context, AuditWriter audit) {
        this.store = store;
        this.registry = registry;
        this.context = context;
        this.audit = audit;
    }

    /** Rolls back every interrupted create it can lock now; a create still running holds its lock and is left. */
    void rollBackInterruptedCreates() {
        try {
            for (String name : store.names()) {
                List<String> journal = store.readJournal(name);
                if (journal.stream().anyMatch(l -> l.startsWith("COMMIT"))) {
                    continue;
                }
                try (FileLocks.Held ignored = store.tryLock(name)) {
                    Optional<VmStore.Record> rec = store.load(name);
                    if (rec.isPresent() && rec.get().machine() != null) {
                        registry.driver(rec.get().driverId(), context).destroy(rec.get().machine());
                    }
                    store.delete(name);
                    LOG.info("rolled back VM '{}' whose creation was interrupted", name);
                    audit.append(new HashChainAuditLog.Event("vm.recover", "ok", HashChainAuditLog.fields("vm", name,
                            "reason", "creation was interrupted; rolled back")));
                } catch (VboxmcpException e) {
                    if (e.code() != ErrorCode.LOCKED) {
                        LOG.warn("could not roll back interrupted VM '{}': {}", name, e.getMessage());
                    }
                }
            }
        } catch (VboxmcpException e) {
            LOG.warn("could not scan for interrupted creates: {}", e.getMessage());
        }
    }
}
