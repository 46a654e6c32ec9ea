package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.AuditLog;
import io.vboxmcp.VboxmcpException;
import picocli.CommandLine.Command;

import java.util.Optional;

/**
 * {@code audit verify}: checks the hash chain of {@code <home>/audit.log} and the signed checkpoint that says how
 * long the log was and how it ended. A log that cannot be checked (checkpoint key missing, checkpoint signed by
 * another key) is an error with exit 1, like a broken one.
 */
@Command(name = "audit", header = "Verify the audit log",
        description = "The audit log of every VM and template operation.",
        subcommands = AuditCommand.Verify.class)
final class AuditCommand extends VboxmcpCommand.Sub {
    @Override
    int run(Session s) {
        throw usage("missing subcommand: verify");
    }

    @Command(name = "verify", description = "Checks the audit log's hash chain and its signed checkpoint; prints the "
            + "first bad record (or what was truncated, emptied, deleted or rewritten) and exits 1 if it is broken or "
            + "cannot be checked.")
    static final class Verify extends VboxmcpCommand.Sub {
        @Override
        int run(Session s) throws VboxmcpException {
            AuditLog log = s.manager().audit();
            Optional<AuditLog.BadRecord> bad = log.verify();
            long size = log.size();
            Optional<AuditLog.Checkpoint> cp = log.checkpoint();
            ObjectNode doc = Json.obj().put("records", size).put("intact", bad.isEmpty());
            cp.ifPresent(c -> doc.putObject("checkpoint").put("origin", c.origin()).put("size", c.size())
                    .put("rootHash", c.rootHash()));
            if (bad.isPresent()) {
                doc.putObject("firstBadRecord").put("line", bad.get().seq()).put("reason", bad.get().reason());
                s.error("the audit log is broken at record " + bad.get().seq() + ": " + bad.get().reason());
            } else {
                s.result("audit log intact: " + size + " record" + (size == 1 ? "" : "s")
                        + cp.map(c -> ", signed checkpoint at record " + c.size()).orElse(""));
            }
            s.emitJson(bad.isEmpty(), doc);
            return bad.isEmpty() ? Main.OK : Main.FAILED;
        }
    }
}
