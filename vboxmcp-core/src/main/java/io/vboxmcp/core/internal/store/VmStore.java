package io.vboxmcp.core.internal.store;

import io.vboxmcp.core.internal.util.Json;
import io.vboxmcp.core.internal.util.RegularFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.VmStateException;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.spi.Machine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Per-VM state under {@code <home>/vms/<name>/}: {@code vm.json} (driver, plan, machine, state) and an append-only
 * {@code journal} (BEGIN, MACHINE, COMMIT) so a create killed half-way is rolled back on the next start (LCY-05).
 * Every operation on a VM holds {@code <home>/locks/vm-<name>.lock} (LCY-08, LCY-09).
 */
public final class VmStore {
    static final String VM_FILE = "vm.json";
    static final String JOURNAL = "journal";

    private final Path vmsDir;
    private final Path locksDir;
    private final Duration lockTimeout;

    public VmStore(Path home, Duration lockTimeout) {
        this.vmsDir = home.resolve("vms");
        this.locksDir = home.resolve("locks");
        this.lockTimeout = lockTimeout;
    }

    public Path dir(String name) {
        return vmsDir.resolve(name);
    }

    public FileLocks.Held lock(String name) throws VboxmcpException {
        try {
            return FileLocks.acquire(locksDir.resolve("vm-" + name + ".lock"), lockTimeout, "VM '" + name + "'");
        } catch (VboxmcpException e) {
            if (e.code() == ErrorCode.LOCKED) {
                // keep the holder's pid that FileLocks found, if any
                String holder = e.getMessage().replaceFirst("^.* is locked by another operation", "");
                throw new VmStateException(ErrorCode.LOCKED, "VM '" + name + "' is busy with another operation" + holder, e);
            }
            throw e;
        }
    }

    public FileLocks.Held tryLock(String name) throws VboxmcpException {
        return FileLocks.tryAcquire(locksDir.resolve("vm-" + name + ".lock"), "VM '" + name + "'");
    }

    /** Atomically creates the VM's folder; refuses if it exists (LCY-07). Caller holds the lock. */
    public Path reserve(String name) throws VboxmcpException {
        if (!TemplateRef.isValidName(name)) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + name + "' is not a valid VM name: use lower-case "
                    + "letters, digits and '-', starting with a letter or digit, at most 63 characters");
        }
        Path dir = dir(name);
        try {
            Files.createDirectories(vmsDir);
            Files.createDirectory(dir);
            journal(name, "BEGIN");
            return dir;
        } catch (FileAlreadyExistsException e) {
            throw new VmStateException(ErrorCode.VM_EXISTS, "a VM named '" + name + "' already exists", e);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not create " + dir + ": " + e.getMessage(), e);
        }
    }

    public void journal(String name, String line) throws VboxmcpException {
        try (FileChannel ch = FileChannel.open(dir(name).resolve(JOURNAL), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(java.nio.ByteBuffer.wrap((line.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not write the journal of VM '" + name + "'", e);
        }
    }

    public List<String> readJournal(String name) {
        try {
            // a FIFO or link planted in a VM folder must never be opened (it could block or read elsewhere)
            return new String(RegularFiles.read(dir(name).resolve(JOURNAL), 1 << 20), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** What {@code vm.json} holds. */
    public record Record(String driverId, VmPlan plan, Machine machine, VmState state) { }

    public void save(Record r) throws VboxmcpException {
        try {
            ObjectNode n = Json.MAPPER.createObjectNode();
            n.put("driver", r.driverId());
            n.set("plan", Json.MAPPER.valueToTree(r.plan()));
            if (r.machine() != null) {
                n.set("machine", Json.MAPPER.valueToTree(r.machine()));
            }
            n.put("state", r.state().name());
            AtomicFiles.write(dir(r.plan().vmName()).resolve(VM_FILE), Json.MAPPER.writeValueAsBytes(n));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not save the state of VM '" + r.plan().vmName() + "'", e);
        }
    }

    public Optional<Record> load(String name) throws VboxmcpException {
        Path f = dir(name).resolve(VM_FILE);
        if (!TemplateRef.isValidName(name) || !RegularFiles.isRegular(f)) {
            return Optional.empty();
        }
        try {
            JsonNode n = Json.MAPPER.readTree(RegularFiles.read(f, 4 << 20));
            VmPlan plan = Json.MAPPER.treeToValue(n.get("plan"), VmPlan.class);
            Machine m = n.hasNonNull("machine") ? Json.MAPPER.treeToValue(n.get("machine"), Machine.class) : null;
            return Optional.of(new Record(n.path("driver").asText(), plan, m, VmState.valueOf(n.path("state").asText("UNKNOWN"))));
        } catch (IOException | IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.IO, "the state of VM '" + name + "' in " + f + " is unreadable: "
                    + e.getMessage(), e);
        }
    }

    public List<String> names() throws VboxmcpException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(vmsDir)) {
            return out;
        }
        try (var ds = Files.newDirectoryStream(vmsDir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (TemplateRef.isValidName(n) && Files.isDirectory(p)) {
                    out.add(n);
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not list " + vmsDir, e);
        }
        out.sort(null);
        return out;
    }

    public void delete(String name) throws VboxmcpException {
        try {
            AtomicFiles.deleteTree(dir(name));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not remove " + dir(name) + ": " + e.getMessage(), e);
        }
    }
}
