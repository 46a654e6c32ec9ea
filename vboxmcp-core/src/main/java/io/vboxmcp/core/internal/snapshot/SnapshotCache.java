package io.vboxmcp.core.internal.snapshot;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.core.internal.util.Json;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.image.PruneResult;
import io.vboxmcp.image.ReadySnapshotCache;
import io.vboxmcp.image.ReadySnapshotInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The ready snapshots of a home: {@code <home>/cache/snapshots/<key>/} holds {@code snapshot.json} (written last:
 * a folder without it is an unfinished save), the driver's files and {@code login/}, the key that logs into a
 * fresh clone once to reset its identity. A folder is written under {@code .tmp-*} and renamed into place;
 * {@code <key>.lock} is held while a snapshot is written, restored from or deleted.
 */
public final class SnapshotCache implements ReadySnapshotCache {
    public static final String RECORD = "snapshot.json";
    /** The record's MAC under the home's key ({@link SnapshotMac}). */
    public static final String RECORD_MAC = "snapshot.mac";
    public static final String LOGIN = "login";
    private static final String USED = "last-used";
    private static final long MAX_RECORD = 256 << 10;

    /**
     * What {@code snapshot.json} holds.
     *
     * @param parts      every key part; their {@link SnapshotKey#hash} is {@code key}
     * @param files      the driver's files and their digests ({@code sha256:<hex>})
     * @param hostKeyPin the saved guest's host key fingerprint: a clone must present it before its identity reset
     * @param sourceKey  the saved VM's own authorized key, removed from every clone
     * @param loginKey   the snapshot's login key (public line), removed from every clone
     * @param created    when it was saved, ISO-8601
     * @param identityPort the driver's identity port on which a one-shot agent waited when the state was saved
     *                   (a clone gets its identity through it); null: clones are reset over an SSH login
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Record(String key, Map<String, String> parts, String template, String driver, Map<String, String> files,
                         String hostKeyPin, String sourceKey, String loginKey, String created, String identityPort) {
    }

    /** A complete snapshot found for a key. */
    public record Entry(Path dir, Record record) { }

    /**
     * Frees what a driver keeps for a snapshot outside its folder (a VirtualBox template VM), called before the
     * folder is deleted; must not throw ({@code ReadySnapshotSupport.release}).
     */
    @FunctionalInterface
    public interface Releaser {
        Releaser NONE = (dir, driver) -> { };

        /** @param driver the snapshot's driver id from its record, null if the record is unreadable */
        void release(Path dir, String driver);
    }

    private final Path root;
    private final long maxBytes;
    private final Releaser releaser;
    private final SnapshotMac mac;

    public SnapshotCache(Path home, long maxBytes) {
        this(home, maxBytes, Releaser.NONE);
    }

    public SnapshotCache(Path home, long maxBytes, Releaser releaser) {
        this.root = home.resolve("cache").resolve("snapshots");
        this.maxBytes = maxBytes;
        this.releaser = releaser;
        this.mac = new SnapshotMac(home);
    }

    public Path root() {
        return root;
    }

    /** Holds {@code key}'s lock, waiting up to {@code wait}. */
    public FileLocks.Held lock(String key, Duration wait) throws VboxmcpException {
        return FileLocks.acquire(root.resolve(key + ".lock"), wait, "ready snapshot " + key);
    }

    /**
     * @return the complete snapshot of {@code key}; empty if there is none
     * @throws VboxmcpException {@code DIGEST_MISMATCH} if there is one but its record is unreadable, is not MACed
     *                          under this home's key, names another key, or its parts do not hash to its key (the
     *                          caller discards it)
     */
    public Optional<Entry> find(String key) throws VboxmcpException {
        Path dir = root.resolve(key);
        Path f = dir.resolve(RECORD);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        Record r;
        byte[] bytes;
        String macLine;
        try {
            bytes = RegularFiles.read(f, MAX_RECORD);
            macLine = new String(RegularFiles.read(dir.resolve(RECORD_MAC), 1024), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot " + key + " has no readable "
                    + RECORD + " and " + RECORD_MAC + ": " + e.getMessage(), e);
        }
        mac.verify(bytes, macLine);  // before a byte of it is believed
        try {
            r = Json.MAPPER.readValue(bytes, Record.class);
        } catch (IOException | RuntimeException e) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot " + key + " has no readable "
                    + RECORD + ": " + e.getMessage(), e);
        }
        if (r == null || !key.equals(r.key()) || r.parts() == null || !key.equals(SnapshotKey.hash(r.parts()))
                || r.files() == null || r.loginKey() == null || r.hostKeyPin() == null) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "ready snapshot " + key
                    + " has a record that does not match its key");
        }
        return Optional.of(new Entry(dir, r));
    }

    /** @return a new empty folder to save into, renamed by {@link #commit} */
    public Path stage() throws VboxmcpException {
        try {
            return Files.createDirectories(root.resolve(".tmp-" + UUID.randomUUID()));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not create a folder in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Writes the record into {@code staged} and moves it to {@code <key>}, replacing an older one; hold the lock. */
    public Path commit(Path staged, Record r) throws VboxmcpException {
        Path dir = root.resolve(r.key());
        try {
            byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(r)
                    .getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(staged.resolve(RECORD_MAC), (mac.sign(bytes) + "\n").getBytes(StandardCharsets.US_ASCII));
            AtomicFiles.write(staged.resolve(RECORD), bytes);
            Files.writeString(staged.resolve(USED), "");
            release(dir);
            AtomicFiles.deleteTree(dir);
            Files.move(staged, dir);
            return dir;
        } catch (IOException e) {
            AtomicFiles.deleteTreeQuietly(staged);
            throw new VboxmcpException(ErrorCode.IO, "could not store ready snapshot " + r.key() + ": " + e.getMessage(), e);
        }
    }

    /** Marks a snapshot used now (what the size budget keeps longest). */
    public void touch(Path dir) {
        try {
            Files.setLastModifiedTime(dir.resolve(USED), FileTime.from(Instant.now()));
        } catch (IOException ignored) {
            // only the pruning order suffers
        }
    }

    /** Deletes the snapshot of {@code key} (hold its lock). */
    public void discard(String key) throws VboxmcpException {
        try {
            release(root.resolve(key));
            AtomicFiles.deleteTree(root.resolve(key));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not delete ready snapshot " + key + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<ReadySnapshotInfo> list() throws VboxmcpException {
        List<ReadySnapshotInfo> out = new ArrayList<>();
        for (Path dir : folders()) {
            String key = dir.getFileName().toString();
            try {
                Optional<Entry> e = find(key);
                if (e.isPresent()) {
                    Record r = e.get().record();
                    out.add(new ReadySnapshotInfo(key, r.template(), r.driver(), bytes(dir), created(r), lastUsed(dir, r),
                            dir));
                }
            } catch (VboxmcpException broken) {
                // incomplete or damaged: not listed, pruned
            }
        }
        out.sort(Comparator.comparing(ReadySnapshotInfo::lastUsed).reversed());
        return out;
    }

    @Override
    public PruneResult prune(boolean all) throws VboxmcpException {
        return prune(all, maxBytes);
    }

    /** Deletes unfinished saves, damaged snapshots, and the least recently used beyond {@code budget} bytes. */
    public PruneResult prune(boolean all, long budget) throws VboxmcpException {
        List<Path> removed = new ArrayList<>();
        List<Path> kept = new ArrayList<>();
        long[] freed = {0};
        List<ReadySnapshotInfo> complete = list();
        long total = complete.stream().mapToLong(ReadySnapshotInfo::bytes).sum();
        for (Path dir : folders()) {
            boolean listed = complete.stream().anyMatch(i -> i.dir().equals(dir));
            if (all || !listed) {
                delete(dir, removed, kept, freed);
            }
        }
        if (!all) {
            // most recently used first: drop from the end until the rest fits
            for (int i = complete.size() - 1; i >= 0 && total > budget; i--) {
                long before = freed[0];
                if (delete(complete.get(i).dir(), removed, kept, freed)) {
                    total -= freed[0] - before;
                }
            }
        }
        return new PruneResult(removed, freed[0], kept);
    }

    private boolean delete(Path dir, List<Path> removed, List<Path> kept, long[] freed) throws VboxmcpException {
        String name = dir.getFileName().toString();
        boolean staging = name.startsWith(".tmp-");
        if (staging && isRecent(dir)) {
            kept.add(dir);  // a save in progress
            return false;
        }
        try (FileLocks.Held ignored = staging ? null : FileLocks.tryAcquire(root.resolve(name + ".lock"), "snapshot")) {
            long b = bytes(dir);
            release(dir);
            AtomicFiles.deleteTree(dir);
            freed[0] += b;
            removed.add(dir);
            return true;
        } catch (VboxmcpException e) {
            if (e.code() != ErrorCode.LOCKED) {
                throw e;
            }
            kept.add(dir);
            return false;
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not delete " + dir + ": " + e.getMessage(), e);
        }
    }

    private void release(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        String driver;
        try {
            driver = Json.MAPPER.readValue(RegularFiles.read(dir.resolve(RECORD), MAX_RECORD), Record.class).driver();
        } catch (IOException | RuntimeException e) {
            driver = null;  // damaged or unfinished: the releaser decides what it can still find
        }
        releaser.release(dir, driver);
    }

    private static boolean isRecent(Path dir) {
        try {
            return Files.getLastModifiedTime(dir).toInstant().isAfter(Instant.now().minus(Duration.ofDays(1)));
        } catch (IOException e) {
            return false;
        }
    }

    private List<Path> folders() throws VboxmcpException {
        List<Path> dirs = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return dirs;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
            for (Path p : s) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(p);
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not list " + root + ": " + e.getMessage(), e);
        }
        return dirs;
    }

    private static Instant lastUsed(Path dir, Record r) {
        try {
            return Files.getLastModifiedTime(dir.resolve(USED)).toInstant();
        } catch (IOException e) {
            return created(r);
        }
    }

    private static Instant created(Record r) {
        try {
            return Instant.parse(r.created());
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }

    static long bytes(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }
}
