package io.vboxmcp.mcp.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ResourceLimitException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.mcp.McpPolicy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The VMs this server created and owns, with what they hold (for the policy's totals), when a tool last touched
 * them (for idle destroy) and, while one is being created, the create's future (for cancellation). An agent sees and
 * touches only these. The names are also kept in a state file, so VMs a crashed server left are found again.
 */
final class OwnedVms {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One owned VM; {@code vm} is null while it is being created. */
    static final class Entry {
        final String name;
        final int memoryMb;
        final int cpus;
        final int diskMb;
        volatile Vm vm;
        volatile CreateJob creating;
        volatile Instant lastUsed;
        /** Guest commands running on it now (exec, copies); guarded by the OwnedVms lock. */
        int busy;

        Entry(String name, int memoryMb, int cpus, int diskMb, Instant now) {
            this.name = name;
            this.memoryMb = memoryMb;
            this.cpus = cpus;
            this.diskMb = diskMb;
            this.lastUsed = now;
        }
    }

    private final McpPolicy policy;
    private final Path stateFile;
    private final Clock clock;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    OwnedVms(McpPolicy policy, Path stateFile, Clock clock) {
        this.policy = policy;
        this.stateFile = stateFile;
        this.clock = clock;
    }

    /**
     * Reserves a name and its resources before the create starts, so that concurrent creates cannot together pass
     * the policy's totals (RES-04).
     */
    synchronized Entry reserve(String name, int memoryMb, int cpus, int diskMb) throws VboxmcpException {
        if (entries.containsKey(name)) {
            throw new VboxmcpException(ErrorCode.VM_EXISTS, "this server already has a VM named '" + name + "'");
        }
        if (entries.size() >= policy.maxVms()) {
            throw new ResourceLimitException("the policy allows " + policy.maxVms() + " VM(s) at once and this server"
                    + " has " + entries.size() + "; destroy one first");
        }
        int mem = memoryMb;
        int cpu = cpus;
        int disk = diskMb;
        for (Entry e : entries.values()) {
            mem += e.memoryMb;
            cpu += e.cpus;
            disk += e.diskMb;
        }
        if (mem > policy.totalMemoryMb() || cpu > policy.totalCpus() || disk > policy.totalDiskMb()) {
            throw new ResourceLimitException("the policy's totals would be exceeded: " + mem + "/" + policy.totalMemoryMb()
                    + " MB memory, " + cpu + "/" + policy.totalCpus() + " cpus, " + disk + "/" + policy.totalDiskMb()
                    + " MB disk over this server's VMs");
        }
        Entry e = new Entry(name, memoryMb, cpus, diskMb, clock.instant());
        entries.put(name, e);
        save();
        return e;
    }

    synchronized void release(String name) {
        if (entries.remove(name) != null) {
            save();
        }
    }

    /** @return the owned VM, its last use now; empty if not owned or still being created */
    synchronized Optional<Entry> touch(String name) {
        Entry e = entries.get(name);
        if (e != null) {
            e.lastUsed = clock.instant();
        }
        return Optional.ofNullable(e);
    }

    /** A long guest command starts on {@code e}: idle destroy leaves it alone until {@link #end}. */
    synchronized void begin(Entry e) {
        e.busy++;
        e.lastUsed = clock.instant();
    }

    /** The guest command of {@link #begin} ended: the idle time counts from now. */
    synchronized void end(Entry e) {
        e.busy--;
        e.lastUsed = clock.instant();
    }

    synchronized List<Entry> all() {
        return new ArrayList<>(entries.values());
    }

    /**
     * @return the entries no tool touched for longer than {@code idle}: creating ones excluded, and those running a
     * guest command (an exec longer than the idle time must not lose its VM half-way)
     */
    synchronized List<Entry> idle(Duration idle) {
        Instant cutoff = clock.instant().minus(idle);
        return entries.values().stream().filter(e -> e.vm != null && e.busy == 0 && e.lastUsed.isBefore(cutoff))
                .toList();
    }

    Duration idleFor(Entry e) {
        return Duration.between(e.lastUsed, clock.instant());
    }

    /** @return the names a previous server left in the state file (empty without one) */
    List<String> leftOver() {
        if (stateFile == null || !Files.isRegularFile(stateFile)) {
            return List.of();
        }
        try {
            List<String> names = new ArrayList<>();
            JSON.readTree(stateFile.toFile()).path("vms").forEach(n -> names.add(n.asText()));
            return names;
        } catch (IOException e) {
            return List.of();
        }
    }

    private void save() {
        if (stateFile == null) {
            return;
        }
        try {
            Files.createDirectories(stateFile.toAbsolutePath().getParent());
            Path tmp = stateFile.resolveSibling(stateFile.getFileName() + ".tmp");
            Collection<String> names = entries.keySet();
            Files.writeString(tmp, JSON.writeValueAsString(Map.of("vms", names)));
            Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(OwnedVms.class).warn("cannot write {}: {}", stateFile, e.getMessage());
        }
    }
}
