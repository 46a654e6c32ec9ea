package io.vboxmcp.core.internal.image;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.ReadWatchdog;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Moves bytes for the {@link ImageStore}: resumable HTTP(S) downloads and {@code file:} copies into a {@code .part}
 * file, capped at the declared size (ART-02), following redirects only within the first URL's origin (ART-07), with
 * {@code BYTES} progress events.
 */
final class ImageTransfer {
    private static final int MAX_REDIRECTS = 5;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    /** Default: a download that receives nothing for this long fails. */
    static final Duration DEFAULT_IDLE = Duration.ofSeconds(60);
    /** Default: no single download may take longer (a multi-GB image on a slow line still fits). */
    static final Duration DEFAULT_TOTAL = Duration.ofHours(6);

    private final java.util.function.Supplier<HttpClient> http;
    private final Duration idle;
    private final Duration total;

    ImageTransfer(java.util.function.Supplier<HttpClient> http, Duration idle, Duration total) {
        this.http = http;
        this.idle = idle;
        this.total = total;
    }

    /** Fetches {@code a} into {@code part}, resuming what is there over HTTP(S). */
    void download(String reference, ImageCatalog.Artifact a, Path part, ProgressListener progress)
            throws VboxmcpException {
        if (a.size() > ImageStore.MAX_IMAGE_BYTES) {
            // RES-05: a catalog may not declare its way past the cap; refused before a byte is fetched
            throw new io.vboxmcp.ResourceLimitException("base image " + reference + " " + a.role() + " declares "
                    + a.size() + " bytes, more than the " + ImageStore.MAX_IMAGE_BYTES + " bytes an image may have");
        }
        long cap = a.size() >= 0 ? a.size() : ImageStore.MAX_IMAGE_BYTES;
        try {
            Files.createDirectories(part.getParent());
            if ("file".equalsIgnoreCase(a.url().getScheme())) {
                copyFile(reference, a, part, cap, progress);
            } else {
                httpDownload(reference, a, part, cap, progress);
            }
        } catch (IOException e) {
            if (diskFull(part, e)) {
                // RES-03: a partial file on a full disk helps no resume; free the space and say what happened
                deleteQuietly(part);
                throw new VboxmcpException(ErrorCode.IO, "no space left in " + part.getParent() + " for base image "
                        + reference + " " + a.role() + " (" + a.size() + " bytes); nothing of it was kept", e);
            }
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "could not fetch base image " + reference + " "
                    + a.role() + " from " + a.url() + ": " + e.getMessage(), e);
        }
    }

    private static boolean diskFull(Path part, IOException e) {
        if (String.valueOf(e.getMessage()).contains("No space left")) {
            return true;
        }
        try {
            return Files.getFileStore(part.getParent()).getUsableSpace() < (1L << 20);
        } catch (IOException | RuntimeException ignored) {
            return false;
        }
    }

    private void copyFile(String reference, ImageCatalog.Artifact a, Path part, long cap, ProgressListener progress)
            throws IOException, VboxmcpException {
        Path src = Path.of(a.url());
        long total = Files.size(src);
        if (total > cap) {
            throw tooLarge(reference, a, cap);
        }
        deleteQuietly(part);
        try (InputStream in = Files.newInputStream(src)) {
            write(reference, a, in, part, 0, total, cap, progress);
        }
    }

    private void httpDownload(String reference, ImageCatalog.Artifact a, Path part, long cap, ProgressListener progress)
            throws IOException, VboxmcpException {
        long have = Files.exists(part) ? size(part) : 0;
        if (have > cap) {
            deleteQuietly(part);
            have = 0;
        }
        if (have == cap && cap > 0) {
            return; // complete already; the digest check decides
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(a.url()).timeout(Duration.ofMinutes(5)).GET();
        if (have > 0) {
            req.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> resp = send(req, a.url());
        try (InputStream body = resp.body()) {
            int status = resp.statusCode();
            long start;
            long total;
            if (status == 206 && have > 0) {
                Matcher m = CONTENT_RANGE.matcher(resp.headers().firstValue("Content-Range").orElse(""));
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    throw new IOException("server answered the range request with an unexpected Content-Range");
                }
                start = have;
                total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
            } else if (status == 200) {
                start = 0;
                total = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
            } else {
                throw new IOException("HTTP " + status);
            }
            if (total > cap) {
                throw tooLarge(reference, a, cap);
            }
            if (start == 0) {
                deleteQuietly(part);
            }
            // the JDK client has no read timeout: a server that stalls or drips would hold the create forever
            try (ReadWatchdog dog = ReadWatchdog.start(body, idle, this.total)) {
                try {
                    write(reference, a, new WatchedStream(body, dog), part, start, total, cap, progress);
                } catch (IOException e) {
                    if (dog.expiry().isPresent()) {
                        throw new VboxmcpException(ErrorCode.TIMEOUT, "download of base image " + reference + " "
                                + a.role() + " from " + a.url() + " stopped: " + dog.expiry().get()
                                + " (what arrived is kept to resume from)", e);
                    }
                    throw e;
                }
            }
        }
    }

    /** Reports each successful read to the watchdog. */
    private static final class WatchedStream extends java.io.FilterInputStream {
        private final ReadWatchdog dog;

        WatchedStream(InputStream in, ReadWatchdog dog) {
            super(in);
            this.dog = dog;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            dog.progress();
            return n;
        }
    }

    private void write(String reference, ImageCatalog.Artifact a, InputStream in, Path part, long start, long total,
                       long cap, ProgressListener progress) throws IOException, VboxmcpException {
        long t0 = System.nanoTime();
        long done = start;
        long lastEvent = 0;
        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (done + n > cap) {
                    // ART-02: never read past the declared length
                    out.write(buf, 0, (int) (cap - done));
                    out.flush();
                    throw tooLarge(reference, a, cap);
                }
                out.write(buf, 0, n);
                done += n;
                long now = System.nanoTime();
                if (now - lastEvent > 200_000_000L) {
                    lastEvent = now;
                    bytes(progress, reference, a, done, total, now - t0);
                }
            }
        } catch (VboxmcpException e) {
            deleteQuietly(part);
            throw e;
        }
        bytes(progress, reference, a, done, total < 0 ? done : total, System.nanoTime() - t0);
    }

    /** Sends a request, following redirects only within the first URL's origin. */
    HttpResponse<InputStream> send(HttpRequest.Builder builder, URI first) throws IOException, VboxmcpException {
        URI uri = first;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<InputStream> resp;
            try {
                resp = http.get().send(builder.uri(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while fetching " + uri);
            }
            int s = resp.statusCode();
            if (s < 300 || s >= 400 || s == 304) {
                return resp;
            }
            resp.body().close();
            Optional<String> location = resp.headers().firstValue("Location");
            if (location.isEmpty()) {
                throw new IOException("HTTP " + s + " without Location from " + uri);
            }
            URI next = uri.resolve(location.get());
            if (!sameOrigin(first, next)) {
                // ART-07
                throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "refused redirect from " + first + " to another origin: "
                        + next);
            }
            uri = next;
        }
        throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + first);
    }

    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && b.getScheme() != null
                && a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && b.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }


    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover .part is resumed or replaced next time
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private static VboxmcpException tooLarge(String reference, ImageCatalog.Artifact a, long cap) {
        return new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "base image " + reference + " " + a.role() + " from "
                + a.url() + " is larger than " + (a.size() >= 0 ? "its declared size of " : "the limit of ") + cap + " bytes");
    }

    private static void bytes(ProgressListener l, String ref, ImageCatalog.Artifact a, long done, long total, long nanos) {
        emit(l, new ProgressEvent(ProgressEvent.Kind.BYTES, null, "image", ref + " " + a.role(), done, total,
                Duration.ofNanos(nanos)));
    }

    static void info(ProgressListener l, String ref, String msg) {
        emit(l, new ProgressEvent(ProgressEvent.Kind.INFO, null, "image", ref + ": " + msg, -1, -1, Duration.ZERO));
    }

    private static void emit(ProgressListener l, ProgressEvent e) {
        try {
            l.onEvent(e);
        } catch (RuntimeException ignored) {
            // listeners must not break downloads
        }
    }
}
