package io.vboxmcp.git.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The commit each version tag pointed at when this machine last accepted it. A tag is an immutable version: if
 * it later points elsewhere (force-push, rollback to an older signed commit), it is refused (GIT-07). Stored as
 * a properties file beside the mirror, written atomically; callers hold the mirror's lock when saving.
 */
final class LastSeenTags {
    private final Path file;
    private final Map<String, String> seen = new HashMap<>();
    private final Map<String, String> pending = new HashMap<>();

    LastSeenTags(Path file) throws VboxmcpException {
        this.file = file;
        reload();
    }

    synchronized void reload() throws VboxmcpException {
        seen.clear();
        seen.putAll(read());
        seen.putAll(pending);
    }

    /** @return the commit recorded for {@code tag}, or null */
    synchronized String commitOf(String tag) {
        return seen.get(tag);
    }

    /** @return every tag this machine has accepted */
    synchronized java.util.Set<String> tags() {
        return java.util.Set.copyOf(seen.keySet());
    }

    synchronized void record(String tag, String commit) {
        if (!commit.equals(seen.get(tag))) {
            seen.put(tag, commit);
            pending.put(tag, commit);
        }
    }

    /** Writes new records, merged with what other processes wrote meanwhile. */
    synchronized void save() throws VboxmcpException {
        if (pending.isEmpty()) return;
        Map<String, String> merged = new TreeMap<>(read());
        merged.putAll(pending);
        Properties p = new Properties();
        p.putAll(merged);
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".last-seen", ".tmp");
            try {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    p.store(out, "vboxmcp: commit of each version tag when it was last accepted; a moved tag is refused");
                }
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not record last-seen tags in " + file + ": " + e.getMessage(), e);
        }
        pending.clear();
        seen.putAll(merged);
    }

    private Map<String, String> read() throws VboxmcpException {
        Map<String, String> out = new HashMap<>();
        if (!Files.exists(file)) return out;
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read last-seen tags in " + file + ": " + e.getMessage(), e);
        }
        for (String k : p.stringPropertyNames()) {
            out.put(k, p.getProperty(k));
        }
        return out;
    }
}
