package io.vboxmcp.git.internal;

import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import org.eclipse.jgit.api.PackRefsCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshSessionFactory;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.TransportHttp;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.util.FileUtils;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A local bare mirror of one remote's tags, in {@code <cache>/<sha256 of url>/mirror.git}. The first sync fetches
 * into a temporary repository that is renamed into place only when complete; later syncs fetch incrementally into
 * the mirror, where JGit writes a pack completely before any ref moves, so an interrupted fetch leaves every ref
 * pointing at objects that are all present. Every fetched object is checked ({@link StrictObjectChecker}, Windows and
 * macOS path rules included) before it is accepted. Syncs are serialised across threads and processes.
 */
final class GitMirror implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();
    static final String TAG_REFSPEC = "+refs/tags/*:refs/tags/*";

    private final Path dir;
    private final URIish remote;
    private final String display;
    private final int timeoutSeconds;
    private final Duration totalTimeout;
    private final long maxFetchBytes;
    private final Supplier<CredentialsProvider> credentials;
    private final Supplier<SshSessionFactory> ssh;
    private Repository repo;

    GitMirror(Path dir, URIish remote, String display, int timeoutSeconds, Duration totalTimeout, long maxFetchBytes,
              Supplier<CredentialsProvider> credentials, Supplier<SshSessionFactory> ssh) {
        this.totalTimeout = totalTimeout;
        this.maxFetchBytes = maxFetchBytes;
        this.dir = dir;
        this.remote = remote;
        this.display = display;
        this.timeoutSeconds = timeoutSeconds;
        this.credentials = credentials;
        this.ssh = ssh;
    }

    Path mirrorDir() {
        return dir.resolve("mirror.git");
    }

    boolean exists() {
        return Files.isRegularFile(mirrorDir().resolve("HEAD"));
    }

    /** @return when the mirror was last fetched successfully, or null if never */
    Instant lastFetched() {
        try {
            Path stamp = dir.resolve("last-fetch");
            return Files.exists(stamp) ? Files.getLastModifiedTime(stamp).toInstant() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** @return the mirror repository, opening it if needed */
    synchronized Repository repository() throws VboxmcpException {
        if (repo == null) {
            if (!exists()) {
                throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "no local mirror of " + display + " yet");
            }
            try {
                repo = new FileRepositoryBuilder().setGitDir(mirrorDir().toFile()).setMustExist(true).build();
            } catch (IOException e) {
                throw new VboxmcpException(ErrorCode.IO, "could not open the local mirror of " + display + ": " + e.getMessage(), e);
            }
        }
        return repo;
    }

    /** Runs {@code action} holding this mirror's lock (threads of this JVM and other processes). */
    <T> T locked(LockedAction<T> action) throws VboxmcpException {
        ReentrantLock lock = LOCKS.computeIfAbsent(dir.toAbsolutePath().normalize(), p -> new ReentrantLock());
        lock.lock();
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock fileLock = ch.lock();
                try {
                    return action.run();
                } finally {
                    fileLock.release();
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.LOCKED, "could not lock the local mirror of " + display + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    interface LockedAction<T> {
        T run() throws VboxmcpException, IOException;
    }

    /** Fetches the remote's tags; on any failure the mirror is exactly as before. Caller holds {@link #locked}. */
    void fetch() throws VboxmcpException {
        removeStaleTemporaries();
        if (!exists()) {
            Path tmp;
            try {
                tmp = Files.createTempDirectory(dir, "mirror.tmp-");
            } catch (IOException e) {
                throw new VboxmcpException(ErrorCode.IO, "could not create a mirror folder in " + dir + ": " + e.getMessage(), e);
            }
            try {
                try (Repository fresh = FileRepositoryBuilder.create(tmp.toFile())) {
                    fresh.create(true);
                    configure(fresh);
                    fetchInto(fresh);
                }
                try {
                    Files.move(tmp, mirrorDir(), StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, mirrorDir());
                }
            } catch (IOException e) {
                throw new VboxmcpException(ErrorCode.IO, "could not create the local mirror of " + display + ": " + e.getMessage(), e);
            } finally {
                deleteTree(tmp);
            }
        } else {
            Repository r = repository();
            try {
                configure(r);
            } catch (IOException e) {
                throw new VboxmcpException(ErrorCode.IO, "could not configure the local mirror of " + display + ": " + e.getMessage(), e);
            }
            fetchInto(r);
        }
        try {
            Path stamp = dir.resolve("last-fetch");
            Files.writeString(stamp, Instant.now().toString());
        } catch (IOException ignored) {
            // only informational
        }
    }

    private static void configure(Repository r) throws IOException {
        StoredConfig c = r.getConfig();
        c.setBoolean("core", null, "symlinks", false);
        c.setBoolean("transfer", null, "fsckObjects", true);
        c.setBoolean("fetch", null, "fsckObjects", true);
        c.setBoolean("fsck", null, "safeForWindows", true);
        c.setBoolean("fsck", null, "safeForMacOS", true);
        // no background gc: it would race the rename of a fresh mirror and the reads of a live one
        c.setInt("gc", null, "auto", 0);
        c.setInt("gc", null, "autoPackLimit", 0);
        c.setBoolean("gc", null, "autoDetach", false);
        c.setBoolean("http", null, "sslVerify", true);
        c.setString("http", null, "followRedirects", "initial");
        c.setString("submodule", null, "recurse", "false");
        c.save();
    }

    private void fetchInto(Repository r) throws VboxmcpException {
        try (Transport t = Transport.open(r, remote);
             FetchGuard guard = new FetchGuard(r.getDirectory().toPath(), t, totalTimeout, maxFetchBytes)) {
            try {
                fetchGuarded(r, t, guard);
            } catch (VboxmcpException e) {
                VboxmcpException bound = guard.failure(display, e.getCause() != null ? e.getCause() : e);
                throw bound != null ? bound : e;
            }
        } catch (IOException e) {
            // opening the transport failed (an unsupported or malformed URI)
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "could not fetch from " + display + ": " + rootMessage(e), e);
        }
    }

    private void fetchGuarded(Repository r, Transport t, FetchGuard guard) throws VboxmcpException {
        try {
            t.setCheckFetchedObjects(true);
            t.setObjectChecker(new StrictObjectChecker());
            t.setTimeout(timeoutSeconds);
            t.setTagOpt(TagOpt.NO_TAGS);
            t.setRemoveDeletedRefs(true);
            t.setCredentialsProvider(credentials.get());
            if (t instanceof TransportHttp h) {
                h.setHttpConnectionFactory(OriginGuard.wrap(h.getHttpConnectionFactory(), remote));
            }
            if (t instanceof SshTransport s) {
                s.setSshSessionFactory(ssh.get());
            }
            FetchResult result = t.fetch(guard.monitor(), List.of(new RefSpec(TAG_REFSPEC)));
            if (!result.getTrackingRefUpdates().isEmpty()) {
                // one packed-refs file instead of a loose file per tag keeps listing (and no-op syncs) fast
                new PackRefsCommand(r).setAll(true).call();
            }
        } catch (GitAPIException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not pack the refs of the mirror of " + display + ": " + e.getMessage(), e);
        } catch (TransportException e) {
            if (hasCause(e, CorruptObjectException.class)) {
                throw new ArchiveException("objects fetched from " + display + " failed the safety check (fsck): "
                        + rootMessage(e), e);
            }
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "could not fetch from " + display + ": " + rootMessage(e), e);
        } catch (IOException | RuntimeException e) {
            if (hasCause(e, CorruptObjectException.class)) {
                throw new ArchiveException("objects fetched from " + display + " failed the safety check (fsck): "
                        + rootMessage(e), e);
            }
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "could not fetch from " + display + ": " + rootMessage(e), e);
        }
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) return true;
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        StringBuilder b = new StringBuilder(String.valueOf(t.getMessage()));
        Throwable c = t.getCause();
        int depth = 0;
        while (c != null && c != t && depth++ < 4) {
            if (c.getMessage() != null && !b.toString().contains(c.getMessage())) {
                b.append(": ").append(c.getMessage());
            }
            t = c;
            c = c.getCause();
        }
        return b.toString();
    }

    private void removeStaleTemporaries() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "mirror.tmp-*")) {
            for (Path p : ds) {
                deleteTree(p);
            }
        } catch (IOException ignored) {
            // a leftover folder costs disk space only
        }
    }

    /** Removes a folder tree, best effort (JGit's own recursive delete; symbolic links are removed, not followed). */
    static void deleteTree(Path root) {
        try {
            FileUtils.delete(root.toFile(), FileUtils.RECURSIVE | FileUtils.SKIP_MISSING | FileUtils.IGNORE_ERRORS);
        } catch (IOException ignored) {
            // best effort: IGNORE_ERRORS already swallows most failures
        }
    }

    @Override
    public synchronized void close() {
        if (repo != null) {
            repo.close();
            repo = null;
        }
    }
}
