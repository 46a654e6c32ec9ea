package io.vboxmcp.core.internal.image;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.image.CatalogImage;
import io.vboxmcp.image.ImageCache;
import io.vboxmcp.image.ImageListing;
import io.vboxmcp.image.PruneResult;
import io.vboxmcp.spi.BaseImage;

import java.io.IOException;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@link ImageCache} of a manager: listing over the {@link ImageStore}'s catalogs, pulling through it, pruning
 * its cache folder.
 *
 * <p>Prune only ever considers the plain files directly in the cache folder whose names the store writes
 * ({@code sha256-<hex>}, {@code sha512-<hex>}, their {@code .part}), taken with {@code lstat} semantics (a symbolic
 * link is not a plain file and is left alone), deletes each under its entry's lock (skipping a locked one), and keeps
 * files that a qcow2 overlay under {@code <home>/vms} names as its backing file (QEMU VMs read their base image for
 * their whole life).
 */
public final class DefaultImageCache implements ImageCache {
    /** A partial download untouched this long is abandoned. */
    static final Duration STALE_PART = Duration.ofDays(1);
    private static final Pattern CACHED = Pattern.compile("(sha256-[0-9a-f]{64}|sha512-[0-9a-f]{128})(\\.part)?");
    private static final int VM_SCAN_DEPTH = 3;

    private final ImageStore store;
    private final Path vmsDir;

    /**
     * @param store the store whose catalogs and cache this works on, never null
     * @param home  the manager's home ({@code <home>/vms} holds the VMs whose base images prune keeps), never null
     */
    public DefaultImageCache(ImageStore store, Path home) {
        this.store = Objects.requireNonNull(store, "store");
        this.vmsDir = Objects.requireNonNull(home, "home").resolve("vms");
    }

    @Override
    public ImageListing list() throws VboxmcpException {
        List<CatalogImage> images = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (URI uri : store.catalogs()) {
            ImageCatalog catalog;
            try {
                catalog = store.loadCatalog(uri);
            } catch (VboxmcpException e) {
                if (e.code() != ErrorCode.SOURCE_UNAVAILABLE) {
                    throw e;
                }
                problems.add(e.getMessage());
                continue;
            }
            for (ImageCatalog.Entry e : catalog.entries()) {
                if (!seen.add(e.reference())) {
                    continue; // an earlier catalog overrides it
                }
                long bytes = 0;
                boolean cached = true;
                for (ImageCatalog.Artifact a : e.artifacts()) {
                    Path f = store.cacheDir().resolve(a.primary().fileName());
                    if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                        bytes += ImageStore.sizeOf(f);
                    } else {
                        cached = false;
                    }
                }
                images.add(new CatalogImage(e.reference(), e.description() == null ? "" : e.description(), uri,
                        e.firmware(), e.disk().primary().toString(), cached, bytes));
            }
        }
        return new ImageListing(images, problems);
    }

    @Override
    public BaseImage pull(String reference, ProgressListener progress) throws VboxmcpException {
        return store.resolve(reference, progress);
    }

    @Override
    public PruneResult prune(boolean all) throws VboxmcpException {
        Set<String> referenced = all ? Set.of() : referencedNames();
        Set<String> inUse = backingFilesOfVms();
        Path dir = store.cacheDir();
        List<Path> removed = new ArrayList<>();
        List<Path> kept = new ArrayList<>();
        long freed = 0;
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return new PruneResult(removed, 0, kept);
        }
        Instant staleBefore = Instant.now().minus(STALE_PART);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                var m = CACHED.matcher(name);
                if (!m.matches() || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue; // not ours, or a link/folder: never followed, never deleted
                }
                boolean part = m.group(2) != null;
                boolean delete = part
                        ? all || Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(staleBefore)
                        : all || !referenced.contains(name);
                if (!delete) {
                    continue;
                }
                if (!part && inUse.contains(name)) {
                    kept.add(p);
                    continue;
                }
                long size = ImageStore.sizeOf(p);
                try (FileLocks.Held lock = FileLocks.tryAcquire(store.lockFile(m.group(1)), "cached image " + name)) {
                    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        continue;
                    }
                    Files.delete(p);
                    if (!part) {
                        store.stamps().forget(p);
                    }
                } catch (VboxmcpException e) {
                    if (e.code() != ErrorCode.LOCKED) {
                        throw e;
                    }
                    kept.add(p); // being downloaded or verified right now
                    continue;
                }
                removed.add(p);
                freed += size;
            }
            forgetOrphanStamps(dir);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not prune " + dir + ": " + e.getMessage(), e);
        }
        return new PruneResult(removed, freed, kept);
    }

    /** Deletes stamps whose cached file is gone (deleted by hand, say); they are a few bytes each. */
    private void forgetOrphanStamps(Path dir) throws IOException {
        Path stamps = store.stamps().sidecar(dir.resolve("x")).getParent();
        if (!Files.isDirectory(stamps, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(stamps)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (CACHED.matcher(name).matches() && !name.endsWith(".part")
                        && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)
                        && !Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** @return the cache file names of every artifact of every entry of every catalog, shadowed ones included */
    private Set<String> referencedNames() throws VboxmcpException {
        Set<String> names = new HashSet<>();
        for (URI uri : store.catalogs()) {
            ImageCatalog catalog;
            try {
                catalog = store.loadCatalog(uri);
            } catch (VboxmcpException e) {
                throw new VboxmcpException(e.code(), "not pruning: " + e.getMessage()
                        + " (its images would look unreferenced; 'prune --all' deletes every cached image)", e);
            }
            for (ImageCatalog.Entry e : catalog.entries()) {
                e.artifacts().forEach(a -> names.add(a.primary().fileName()));
            }
        }
        return names;
    }

    /**
     * @return names of cached files that qcow2 disks of VMs under the home name as their backing file (by name, not
     *         path: a home reached through a symbolic link names the same content-addressed file)
     */
    private Set<String> backingFilesOfVms() throws VboxmcpException {
        Set<String> used = new HashSet<>();
        if (!Files.isDirectory(vmsDir)) {
            return used;
        }
        try (Stream<Path> files = Files.walk(vmsDir, VM_SCAN_DEPTH)) {
            files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
                    .forEach(f -> DiskFormat.qcow2BackingFile(f)
                            .ifPresent(b -> used.add(b.substring(b.lastIndexOf('/') + 1))));
        } catch (IOException | java.io.UncheckedIOException e) {
            // not knowing which images are in use, deleting none of them is the safe answer
            throw new VboxmcpException(ErrorCode.IO, "not pruning: could not scan " + vmsDir + " for VM disks: "
                    + e.getMessage(), e);
        }
        return used;
    }
}
