package io.vboxmcp.core.internal.util;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive locks that hold across threads and processes: an in-JVM lock per path (a {@link FileLock} is held by
 * the whole process) plus an OS {@code flock} on the lock file, released by the OS if the holder dies.
 */
public final class FileLocks {
    // FileLock is per process, so threads of one JVM must also be serialised per path.
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

    private FileLocks() {
    }

    /** A held lock; {@link #close()} releases it. */
    public static final class Held implements AutoCloseable {
        private final ReentrantLock jvmLock;
        private final FileChannel channel;
        private final FileLock lock;
        private boolean released;

        private Held(ReentrantLock jvmLock, FileChannel channel, FileLock lock) {
            this.jvmLock = jvmLock;
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public synchronized void close() {
            if (released) {
                return;
            }
            released = true;
            try {
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // the OS drops the lock with the channel anyway
            } finally {
                jvmLock.unlock();
            }
        }
    }

    /**
     * Waits up to {@code wait} for the lock.
     *
     * @throws VboxmcpException {@link ErrorCode#LOCKED} if another thread or process holds it longer
     */
    public static Held acquire(Path lockFile, Duration wait, String what) throws VboxmcpException {
        long deadline = System.nanoTime() + wait.toNanos();
        ReentrantLock jvm = IN_JVM.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
        try {
            if (!jvm.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw locked(what, lockFile);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while waiting for the lock on " + what);
        }
        try {
            Files.createDirectories(lockFile.getParent());
            if (!RegularFiles.isRegularOrAbsent(lockFile)) {
                // opening a FIFO for writing blocks until a reader comes: refuse instead of hanging
                throw new VboxmcpException(ErrorCode.IO, "the lock file " + lockFile + " for " + what + " is "
                        + RegularFiles.kind(lockFile) + ", not a regular file; it was not opened");
            }
            FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            while (true) {
                FileLock l;
                try {
                    l = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    l = null;
                }
                if (l != null) {
                    // the holder's pid, for the LOCKED message of whoever waits; a crashed holder's pid is stale but
                    // harmless: the OS released its lock, and the next holder overwrites it (LCY-10)
                    ch.truncate(0);
                    ch.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 0);
                    return new Held(jvm, ch, l);
                }
                if (System.nanoTime() >= deadline) {
                    ch.close();
                    throw locked(what, lockFile);
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    ch.close();
                    Thread.currentThread().interrupt();
                    throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while waiting for the lock on " + what);
                }
            }
        } catch (IOException e) {
            jvm.unlock();
            throw new VboxmcpException(ErrorCode.IO, "could not lock " + lockFile + ": " + e.getMessage(), e);
        } catch (VboxmcpException | RuntimeException e) {
            jvm.unlock();
            throw e;
        }
    }

    /** Takes the lock only if it is free now. */
    public static Held tryAcquire(Path lockFile, String what) throws VboxmcpException {
        return acquire(lockFile, Duration.ZERO, what);
    }

    private static VboxmcpException locked(String what, Path lockFile) {
        String holder = "";
        try {
            if (Files.isRegularFile(lockFile, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.size(lockFile) < 32) {
                String pid = Files.readString(lockFile, java.nio.charset.StandardCharsets.US_ASCII).strip();
                if (pid.matches("[0-9]{1,10}")) {
                    holder = pid.equals(String.valueOf(ProcessHandle.current().pid())) ? " in this process"
                            : " (held by process " + pid + ")";
                }
            }
        } catch (IOException ignored) {
            // the message just names no holder
        }
        return new VboxmcpException(ErrorCode.LOCKED, what + " is locked by another operation" + holder);
    }
}
