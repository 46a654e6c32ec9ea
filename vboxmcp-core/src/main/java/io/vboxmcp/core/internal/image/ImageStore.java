package io.vboxmcp.core.internal.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.spi.BaseImage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves a template's {@code base_image} through image catalogs to verified files in the content-addressed cache
 * {@code <home>/cache/images/sha256-<hex>}. Thread-safe, and safe across processes: each entry is downloaded by
 * one holder of its lock while the others wait and then reuse it.
 *
 * <ul>
 *   <li>Every use re-hashes the cached file (ART-05); a file that no longer matches is discarded and fetched again.</li>
 *   <li>Downloads resume from a {@code .part} file with an HTTP {@code Range} request; the whole file is hashed at the
 *       end, and a resumed download that does not match is discarded and fetched once more from scratch (ART-06).</li>
 *   <li>No more bytes than the catalog's declared size are read (ART-02); without a size, {@link #MAX_IMAGE_BYTES}.</li>
 *   <li>Redirects are followed only within the same origin (ART-07); a remote catalog may not name host files.</li>
 *   <li>A digest mismatch is {@link ErrorCode#DIGEST_MISMATCH} and leaves nothing in the cache.</li>
 * </ul>
 */
public final class ImageStore {
    /** The cap on one image file when the catalog declares no size: 64 GiB. */
    public static final long MAX_IMAGE_BYTES = 64L << 30;
    /** The cap on a catalog document: 4 MiB. */
    public static final int MAX_CATALOG_BYTES = 4 << 20;
    private static final int MAX_REDIRECTS = 5;
    private static final Duration LOCK_WAIT = Duration.ofHours(2);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

    private final Path cacheDir;
    private final List<URI> catalogs;
    private final HttpClient http;
    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * @param home     the manager's home; files go to {@code <home>/cache/images}, never null
     * @param catalogs {@code file:} or {@code http(s):} catalog URIs, searched in order, never null
     * @param http     client for HTTP(S) catalogs and images; it must not follow redirects itself
     *                 ({@link HttpClient.Redirect#NEVER}, the JDK default): this class follows same-origin
     *                 redirects only (ART-07), never null
     * @throws IllegalArgumentException if {@code http} follows redirects
     */
    public ImageStore(Path home, List<URI> catalogs, HttpClient http) {
        this.cacheDir = Objects.requireNonNull(home, "home").resolve("cache").resolve("images");
        this.catalogs = List.copyOf(catalogs);
        this.http = Objects.requireNonNull(http, "http");
        if (http.followRedirects() != HttpClient.Redirect.NEVER) {
            throw new IllegalArgumentException("the image store's HTTP client must not follow redirects (ART-07)");
        }
    }

    /** @return where verified files are kept */
    public Path cacheDir() {
        return cacheDir;
    }

    /**
     * Resolves {@code reference} (for example {@code ubuntu:22.04} or {@code vboxmcp-test:1}) to a verified image.
     *
     * @param reference never null
     * @param progress  receives BYTES events while downloading, never null
     * @return the image, its files in the cache and verified just now, never null
     * @throws VboxmcpException {@link ErrorCode#INVALID_ARGUMENT} if no catalog lists the reference (the message
     *                          lists the known ones), {@link ErrorCode#DIGEST_MISMATCH} if a download does not match
     *                          its digest, {@link ErrorCode#POLICY_VIOLATION} for a cross-origin redirect,
     *                          {@link ErrorCode#SOURCE_UNAVAILABLE} if a catalog or file cannot be fetched
     */
    public BaseImage resolve(String reference, ProgressListener progress) throws VboxmcpException {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(progress, "progress");
        Set<String> known = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (URI uri : catalogs) {
            ImageCatalog catalog;
            try {
                catalog = loadCatalog(uri);
            } catch (VboxmcpException e) {
                problems.add(e.getMessage());
                continue;
            }
            for (ImageCatalog.Entry e : catalog.entries()) {
                if (e.reference().equals(reference)) {
                    return materialise(e, progress);
                }
                known.add(e.reference());
            }
        }
        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "unknown base image '" + reference + "'; known: "
                + (known.isEmpty() ? "(none)" : String.join(", ", known))
                + (problems.isEmpty() ? "" : "; unreadable catalogs: " + String.join("; ", problems)));
    }

    private BaseImage materialise(ImageCatalog.Entry e, ProgressListener progress) throws VboxmcpException {
        Path disk = fetch(e.reference(), e.disk(), progress);
        Path kernel = e.kernel() == null ? null : fetch(e.reference(), e.kernel(), progress);
        Path initrd = e.initrd() == null ? null : fetch(e.reference(), e.initrd(), progress);
        return new BaseImage(e.reference(), disk, e.diskFormat(), e.disk().digest(), kernel, initrd, e.kernelArgs());
    }

    /** @return the cached, verified file of one artifact, downloading it if needed */
    Path fetch(String reference, ImageCatalog.Artifact a, ProgressListener progress) throws VboxmcpException {
        Path target = cacheDir.resolve("sha256-" + a.sha256());
        Path lockFile = cacheDir.resolve(".locks").resolve("sha256-" + a.sha256() + ".lock");
        try (FileLocks.Held lock = FileLocks.acquire(lockFile, LOCK_WAIT, "image " + reference + " " + a.role())) {
            if (Files.exists(target)) {
                if (a.sha256().equals(sha256(target))) {
                    return target;
                }
                // ART-05: the cached copy changed on disk; never use it
                info(progress, reference, "cached " + a.role() + " " + target.getFileName()
                        + " no longer matches its digest; discarding it and fetching again");
                deleteQuietly(target);
            }
            Path part = cacheDir.resolve("sha256-" + a.sha256() + ".part");
            boolean resumed = Files.exists(part) && size(part) > 0;
            download(reference, a, part, progress);
            String got = sha256(part);
            if (!got.equals(a.sha256()) && resumed) {
                // ART-06: what was already on disk plus the rest does not match; start over once
                info(progress, reference, "resumed download of " + a.role() + " did not verify; downloading it whole");
                deleteQuietly(part);
                download(reference, a, part, progress);
                got = sha256(part);
            }
            if (!got.equals(a.sha256())) {
                deleteQuietly(part);
                throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "base image " + reference + " " + a.role()
                        + " from " + a.url() + " has digest sha256:" + got + ", the catalog says " + a.digest());
            }
            move(part, target);
            return target;
        }
    }

    // -------------------------------------------------------------------------------------------- transfer

    private void download(String reference, ImageCatalog.Artifact a, Path part, ProgressListener progress)
            throws VboxmcpException {
        if (a.size() > MAX_IMAGE_BYTES) {
            // RES-05: a catalog may not declare its way past the cap; refused before a byte is fetched
            throw new io.vboxmcp.ResourceLimitException("base image " + reference + " " + a.role() + " declares "
                    + a.size() + " bytes, more than the " + MAX_IMAGE_BYTES + " bytes an image may have");
        }
        long cap = a.size() >= 0 ? a.size() : MAX_IMAGE_BYTES;
        try {
            Files.createDirectories(cacheDir);
            if ("file".equalsIgnoreCase(a.url().getScheme())) {
                copyFile(reference, a, part, cap, progress);
            } else {
                httpDownload(reference, a, part, cap, progress);
            }
        } catch (IOException e) {
            if (diskFull(e)) {
                // RES-03: a partial file on a full disk helps no resume; free the space and say what happened
                deleteQuietly(part);
                throw new VboxmcpException(ErrorCode.IO, "no space left in " + cacheDir + " for base image " + reference
                        + " " + a.role() + " (" + a.size() + " bytes); nothing of it was kept", e);
            }
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "could not fetch base image " + reference + " "
                    + a.role() + " from " + a.url() + ": " + e.getMessage(), e);
        }
    }

    private boolean diskFull(IOException e) {
        if (String.valueOf(e.getMessage()).contains("No space left")) {
            return true;
        }
        try {
            return Files.getFileStore(cacheDir).getUsableSpace() < (1L << 20);
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
            write(reference, a, body, part, start, total, cap, progress);
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
    private HttpResponse<InputStream> send(HttpRequest.Builder builder, URI first) throws IOException, VboxmcpException {
        URI uri = first;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<InputStream> resp;
            try {
                resp = http.send(builder.uri(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
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

    private ImageCatalog loadCatalog(URI uri) throws VboxmcpException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        try {
            byte[] body;
            if (scheme.equals("file")) {
                Path p = Path.of(uri);
                if (Files.size(p) > MAX_CATALOG_BYTES) {
                    throw new IOException("larger than " + MAX_CATALOG_BYTES + " bytes");
                }
                body = Files.readAllBytes(p);
            } else if (scheme.equals("http") || scheme.equals("https")) {
                HttpResponse<InputStream> resp = send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET(), uri);
                try (InputStream in = resp.body()) {
                    if (resp.statusCode() != 200) {
                        throw new IOException("HTTP " + resp.statusCode());
                    }
                    body = in.readNBytes(MAX_CATALOG_BYTES + 1);
                    if (body.length > MAX_CATALOG_BYTES) {
                        throw new IOException("larger than " + MAX_CATALOG_BYTES + " bytes");
                    }
                }
            } else {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "image catalog " + uri + " is not a file: or http(s): URI");
            }
            return ImageCatalog.parse(uri, body, mapper);
        } catch (NoSuchFileException e) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "image catalog " + uri + " does not exist", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "could not read image catalog " + uri + ": "
                    + e.getMessage(), e);
        }
    }

    // ----------------------------------------------------------------------------------------------- utils

    static String sha256(Path file) throws VboxmcpException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private static void move(Path from, Path to) throws VboxmcpException {
        try {
            try {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
            }
            to.toFile().setReadOnly();
        } catch (IOException e) {
            deleteQuietly(from);
            throw new VboxmcpException(ErrorCode.IO, "could not store " + to + ": " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover .part is resumed or replaced next time
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

    private static void info(ProgressListener l, String ref, String msg) {
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
