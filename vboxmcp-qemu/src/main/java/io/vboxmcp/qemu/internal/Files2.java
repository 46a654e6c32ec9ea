package io.vboxmcp.qemu.internal;

import java.io.File;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Small file helpers: atomic writes and best-effort deletes. */
final class Files2 {
    private Files2() {
    }

    /** @return the executable a command name runs (looked up on {@code PATH}), or the path itself if it has a slash */
    static Optional<Path> which(String cmd) {
        if (cmd.contains("/")) {
            Path p = Path.of(cmd);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String d : path.split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, cmd))) {
                return Optional.of(Path.of(d, cmd));
            }
        }
        return Optional.empty();
    }

    /** @return the hex SHA-256 of a string's UTF-8 bytes (short, stable names for sockets and mount tags) */
    static String sha256Hex(String s) {
        return sha256Hex(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** @return the SHA-256 of small data (the JDK's, slow in a C1-only JVM: {@link Sha256} for files) */
    static String sha256Hex(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static void writeAtomically(Path target, String content) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = s.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort: callers check what remains where it matters
        }
    }

    static boolean deleteQuietly(Path p) {
        try {
            return Files.deleteIfExists(p);
        } catch (IOException e) {
            return false;
        }
    }

    /** The last {@code lines} lines of a text file, empty if it does not exist. */
    static String tail(Path file, int lines) {
        if (!Files.isRegularFile(file) || lines <= 0) {
            return "";
        }
        try {
            long size = Files.size(file);
            long from = Math.max(0, size - 64L * 1024);
            byte[] bytes;
            try (var ch = Files.newByteChannel(file)) {
                ch.position(from);
                var buf = java.nio.ByteBuffer.allocate((int) (size - from));
                while (buf.hasRemaining() && ch.read(buf) > 0) {
                    // read the tail
                }
                bytes = java.util.Arrays.copyOf(buf.array(), buf.position());
            }
            String text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).replace("\r", "");
            ArrayDeque<String> last = new ArrayDeque<>();
            for (String l : text.split("\n", -1)) {
                last.addLast(l);
                if (last.size() > lines + 1) {
                    last.removeFirst();
                }
            }
            if (!last.isEmpty() && last.peekLast().isEmpty()) {
                last.removeLast();
            }
            while (last.size() > lines) {
                last.removeFirst();
            }
            return String.join("\n", last);
        } catch (IOException e) {
            return "";
        }
    }
}
