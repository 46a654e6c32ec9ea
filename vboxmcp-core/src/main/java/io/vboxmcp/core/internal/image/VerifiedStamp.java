package io.vboxmcp.core.internal.image;

import io.vboxmcp.core.internal.util.RegularFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Remembers that a cached file was hashed and matched, so that the next use re-hashes it only if it may have changed
 * since. ART-05 asks that a cached image be checked at every use; hashing a multi-GB image at every VM creation costs
 * seconds to minutes, so every use checks instead the file's (size, mtime, inode, ctime) against those recorded in a
 * sidecar file ({@code <cache>/.verified/<name>}) when it was last hashed, and re-hashes on any difference.
 *
 * <p>Why this keeps the guarantee: any write to the file changes its mtime and ctime, replacing it changes its inode,
 * and user space can set mtime ({@code touch -d}) but not ctime: the kernel sets ctime to "now" on every write, chmod
 * or rename, and only changing the system clock or editing the file system offline can forge it, both needing root,
 * which could equally edit the cache and the sidecar. The sidecar also lists the digests that were verified, so an
 * entry asking for another digest (say a sha256 beside the sha512 that names the file, ART-04) still hashes.
 *
 * <p>The racy case: time stamps have a granularity (a kernel tick of a few milliseconds, whole seconds on some file
 * systems), so a write in the same tick as the recorded stat would go unseen. As Git does for its index ("racily
 * clean" entries), a record is trusted only if the file's ctime was at least {@link #RACY_WINDOW} older than the
 * moment the record was made; the first use right after a download therefore hashes once more and records a stable
 * stamp. Files systems without {@code unix:} attributes (not Linux or macOS) never trust a record: always hash.
 * Not caught: bit rot below the file system (no write happens); the key {@code image.verify=always} hashes at every use.
 */
final class VerifiedStamp {
    static final Duration RACY_WINDOW = Duration.ofSeconds(2);
    private static final String ATTRS = "unix:size,lastModifiedTime,ino,ctime";

    private final Path dir;
    private final Clock clock;

    VerifiedStamp(Path cacheDir, Clock clock) {
        this.dir = cacheDir.resolve(".verified");
        this.clock = clock;
    }

    /** @return the sidecar of cached file {@code file} */
    Path sidecar(Path file) {
        return dir.resolve(file.getFileName().toString());
    }

    /**
     * @return whether {@code file} was hashed against every one of {@code digests} and has not changed since, as far
     *         as its (size, mtime, inode, ctime) tell
     */
    boolean matches(Path file, Collection<Digest> digests) {
        Path side = sidecar(file);
        if (!Files.isRegularFile(side, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        Properties p = new Properties();
        try (var in = new java.io.InputStreamReader(RegularFiles.open(side), StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
        String now = stat(file);
        if (now == null || !now.equals(p.getProperty("stat"))) {
            return false;
        }
        if (!"false".equals(p.getProperty("racy"))) {
            return false;
        }
        Set<String> verified = new HashSet<>(List.of(p.getProperty("digests", "").split(",")));
        return digests.stream().allMatch(d -> verified.contains(d.toString()));
    }

    /** Records that {@code file} matched {@code digests} just now. Failures only cost a re-hash next time. */
    void record(Path file, Collection<Digest> digests) {
        try {
            Map<String, Object> attrs = Files.readAttributes(file, ATTRS, LinkOption.NOFOLLOW_LINKS);
            Instant ctime = ((FileTime) attrs.get("ctime")).toInstant();
            boolean racy = Duration.between(ctime, clock.instant()).compareTo(RACY_WINDOW) < 0;
            Properties p = new Properties();
            p.setProperty("stat", stat(attrs));
            p.setProperty("racy", Boolean.toString(racy));
            List<String> ds = new ArrayList<>();
            digests.forEach(d -> ds.add(d.toString()));
            p.setProperty("digests", String.join(",", ds));
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".stamp", ".tmp");
            try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(out, "vboxmcp: this cached file was hashed and matched; see VerifiedStamp");
            }
            try {
                Files.move(tmp, sidecar(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, sidecar(file), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            forget(file);
        }
    }

    /** Deletes the sidecar of {@code file}, if any. */
    void forget(Path file) {
        try {
            Files.deleteIfExists(sidecar(file));
        } catch (IOException ignored) {
            // a stale sidecar never matches a different stat
        }
    }

    private static String stat(Path file) {
        try {
            return stat(Files.readAttributes(file, ATTRS, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    private static String stat(Map<String, Object> a) {
        return a.get("size") + ":" + ((FileTime) a.get("lastModifiedTime")).toInstant() + ":" + a.get("ino") + ":"
                + ((FileTime) a.get("ctime")).toInstant();
    }
}
