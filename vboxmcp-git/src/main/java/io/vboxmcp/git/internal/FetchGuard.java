package io.vboxmcp.git.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.transport.Transport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Bounds one fetch in total time and in bytes received (threat GIT-12: a server that trickles bytes, or sends an
 * endless pack). JGit's own timeout is per read, so a server sending one byte every few seconds never trips it, and
 * JGit has no cap on the size of a fetched pack. A watchdog thread checks the clock and the size of the pack files
 * growing in the repository's object folder (JGit writes an incoming pack as {@code objects/incoming_*.pack}, then
 * moves it to {@code objects/pack}) every {@value #CHECK_MILLIS} ms; when a bound is passed it marks
 * the fetch cancelled (JGit asks the {@link #monitor()} between objects) and closes the transport, which makes a read
 * blocked on a trickling socket fail. The fetch then fails as any interrupted fetch does: the mirror keeps its old
 * refs and JGit deletes its temporary pack.
 */
final class FetchGuard implements AutoCloseable {
    static final long CHECK_MILLIS = 200;

    private final Path objectsDir;
    private final long maxBytes;
    private final long deadlineNanos;
    private final Duration totalTimeout;
    private final ScheduledExecutorService watchdog;
    private volatile String tripped;

    FetchGuard(Path gitDir, Transport transport, Duration totalTimeout, long maxBytes) {
        this.objectsDir = gitDir.resolve("objects");
        this.maxBytes = maxBytes;
        this.totalTimeout = totalTimeout;
        this.deadlineNanos = System.nanoTime() + totalTimeout.toNanos();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vboxmcp-git-fetch-guard");
            t.setDaemon(true);
            return t;
        });
        long before = packBytes();
        watchdog.scheduleWithFixedDelay(() -> check(transport, before), CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void check(Transport transport, long before) {
        if (tripped != null) {
            return;
        }
        String why = null;
        if (System.nanoTime() - deadlineNanos > 0) {
            why = "timeout";
        } else if (packBytes() - before > maxBytes) {
            why = "bytes";
        }
        if (why != null) {
            tripped = why;
            transport.close();
        }
    }

    private long packBytes() {
        return filesBytes(objectsDir) + filesBytes(objectsDir.resolve("pack"));
    }

    /** The total size of the regular files directly in {@code dir}. */
    private static long filesBytes(Path dir) {
        try (Stream<Path> files = Files.list(dir).filter(Files::isRegularFile)) {
            return files.mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (NoSuchFileException e) {
                    return 0; // renamed or deleted between listing and size
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException | UncheckedIOException e) {
            return 0; // unreadable pack folder: the fetch itself will fail on it
        }
    }

    /** A progress monitor that reports the fetch cancelled once a bound has been passed. */
    ProgressMonitor monitor() {
        return new ProgressMonitor() {
            @Override public void start(int totalTasks) { }
            @Override public void beginTask(String title, int totalWork) { }
            @Override public void update(int completed) { }
            @Override public void endTask() { }
            @Override public boolean isCancelled() { return tripped != null; }
            @Override public void showDuration(boolean enabled) { }
        };
    }

    /**
     * @return the typed error for a fetch that failed because a bound was passed, or null when the failure had
     *     another cause
     */
    VboxmcpException failure(String display, Throwable cause) {
        String why = tripped;
        if ("timeout".equals(why)) {
            return new VboxmcpException(ErrorCode.TIMEOUT, "fetching from " + display + " took longer than "
                    + totalTimeout.toSeconds() + " s in total (option " + io.vboxmcp.git.GitKeys.FETCH_TOTAL_TIMEOUT_SECONDS
                    + "); the local mirror is unchanged", cause);
        }
        if ("bytes".equals(why)) {
            return new VboxmcpException(ErrorCode.RESOURCE_LIMIT, "fetching from " + display + " received more than "
                    + maxBytes + " bytes (option " + io.vboxmcp.git.GitKeys.MAX_FETCH_BYTES
                    + "); the local mirror is unchanged", cause);
        }
        return null;
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }
}
