package io.vboxmcp.core.internal.image;

import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.RegularFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.image.ImageCache;
import io.vboxmcp.spi.BaseImage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Resolves a template's {@code base_image} through image catalogs to verified files in the content-addressed cache
 * {@code <home>/cache/images/<algorithm>-<hex>} (the strongest digest the catalog lists names the file). Thread-safe,
 * and safe across processes: each entry is downloaded by one holder of its lock while the others wait and then
 * reuse it.
 *
 * <ul>
 *   <li>Catalogs are searched in order; the first listing the reference wins. A catalog that cannot be reached is
 *       skipped (an {@code INFO} event says so); a malformed one fails the resolution, since skipping it could
 *       silently fall through to another catalog's entry.</li>
 *   <li>Every digest listed is verified (ART-04); only SHA-256 and SHA-512 are known (ART-03).</li>
 *   <li>Every use checks the cached file again (ART-05): a full hash unless {@link VerifiedStamp} proves the file
 *       unchanged since it was last hashed; a file that no longer matches is discarded and fetched again.</li>
 *   <li>Downloads resume from a {@code .part} file with an HTTP {@code Range} request; the whole file is hashed at the
 *       end, and a resumed download that does not match is discarded and fetched once more from scratch (ART-06).</li>
 *   <li>No more bytes than the catalog's declared size are read (ART-02); without a size, {@link #MAX_IMAGE_BYTES}.</li>
 *   <li>Redirects are followed only within the same origin (ART-07); a remote catalog may not name host files nor
 *       climb with {@code ..} (ART-08).</li>
 *   <li>The disk's format comes from its magic bytes; a mismatch with the catalog or an unsafe qcow2 (backing or
 *       data file) is {@link ErrorCode#IMAGE_INVALID} ({@link DiskFormat}).</li>
 *   <li>A digest mismatch is {@link ErrorCode#DIGEST_MISMATCH} and leaves nothing in the cache.</li>
 * </ul>
 */
public final class ImageStore {
    /** The cap on one image file when the catalog declares no size: 64 GiB. */
    public static final long MAX_IMAGE_BYTES = 64L << 30;
    /** The cap on a catalog document: 4 MiB. */
    public static final int MAX_CATALOG_BYTES = 4 << 20;
    private static final Duration LOCK_WAIT = Duration.ofHours(2);
    private static final String BUILTIN_RESOURCE = "default-catalog.json";

    private final Path cacheDir;
    private final List<URI> catalogs;
    private final ImageTransfer transfer;
    private final VerifiedStamp stamps;
    private final boolean rehashAlways;
    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * @param home     the manager's home; files go to {@code <home>/cache/images}, never null
     * @param catalogs {@code file:} or {@code http(s):} catalog URIs, or {@link ImageCache#BUILTIN_CATALOG}, searched
     *                 in order, never null
     * @param http     client for HTTP(S) catalogs and images; it must not follow redirects itself
     *                 ({@link HttpClient.Redirect#NEVER}, the JDK default): this class follows same-origin
     *                 redirects only (ART-07), never null
     * @throws IllegalArgumentException if {@code http} follows redirects
     */
    public ImageStore(Path home, List<URI> catalogs, HttpClient http) {
        this(home, catalogs, http, false, Clock.systemUTC());
    }

    /**
     * @param rehashAlways hash cached files in full at every use instead of trusting an unchanged {@link VerifiedStamp}
     * @param clock        when stamps are recorded (tests move it to make a fresh stamp non-racy)
     */
    public ImageStore(Path home, List<URI> catalogs, HttpClient http, boolean rehashAlways, Clock clock) {
        this(home, catalogs, http, rehashAlways, clock, ImageTransfer.DEFAULT_IDLE, ImageTransfer.DEFAULT_TOTAL);
    }

    private static java.util.function.Supplier<HttpClient> supplier(HttpClient http) {
        return () -> http;
    }

    private static HttpClient checked(HttpClient http) {
        if (http.followRedirects() != HttpClient.Redirect.NEVER) {
            throw new IllegalArgumentException("the image store's HTTP client must not follow redirects (ART-07)");
        }
        return http;
    }

    /**
     * @param idleTimeout  a download that receives no byte for this long fails with {@link ErrorCode#TIMEOUT}
     * @param totalTimeout no single download may take longer
     */
    public ImageStore(Path home, List<URI> catalogs, HttpClient http, boolean rehashAlways, Clock clock,
                      Duration idleTimeout, Duration totalTimeout) {
        this(home, catalogs, supplier(checked(Objects.requireNonNull(http, "http"))), rehashAlways, clock,
                idleTimeout, totalTimeout);
    }

    /**
     * As above with the client made on first use: building one loads the JDK's TLS trust store, a good part of a
     * command-line call that never downloads (the client must not follow redirects either).
     */
    public ImageStore(Path home, List<URI> catalogs, java.util.function.Supplier<HttpClient> http, boolean rehashAlways,
                      Clock clock, Duration idleTimeout, Duration totalTimeout) {
        this.cacheDir = Objects.requireNonNull(home, "home").resolve("cache").resolve("images");
        this.catalogs = List.copyOf(catalogs);
        Objects.requireNonNull(http, "http");
        java.util.concurrent.atomic.AtomicReference<HttpClient> made = new java.util.concurrent.atomic.AtomicReference<>();
        this.transfer = new ImageTransfer(() -> made.updateAndGet(c -> c != null ? c : checked(http.get())),
                idleTimeout, totalTimeout);
        this.stamps = new VerifiedStamp(cacheDir, clock);
        this.rehashAlways = rehashAlways;
    }

    /** @return where verified files are kept */
    public Path cacheDir() {
        return cacheDir;
    }

    /** @return the catalogs in the order they are consulted */
    List<URI> catalogs() {
        return catalogs;
    }

    VerifiedStamp stamps() {
        return stamps;
    }

    /** @return the lock file guarding cache file {@code name} (and its {@code .part}) */
    Path lockFile(String name) {
        return cacheDir.resolve(".locks").resolve(name + ".lock");
    }

    /**
     * Resolves {@code reference} (for example {@code ubuntu:22.04} or {@code vboxmcp-test:1}) to a verified image.
     *
     * @param reference never null
     * @param progress  receives BYTES events while downloading, never null
     * @return the image, its files in the cache and verified just now, never null
     * @throws VboxmcpException {@link ErrorCode#INVALID_ARGUMENT} if no catalog lists the reference (the message
     *                          lists the known ones) or a catalog is malformed, {@link ErrorCode#DIGEST_MISMATCH} if
     *                          a download does not match its digest, {@link ErrorCode#IMAGE_INVALID} for a disk of
     *                          another format than declared or an unsafe one, {@link ErrorCode#POLICY_VIOLATION} for
     *                          a cross-origin redirect or a remote catalog naming host files,
     *                          {@link ErrorCode#SOURCE_UNAVAILABLE} if a file cannot be fetched
     */
    public BaseImage resolve(String reference, ProgressListener progress) throws VboxmcpException {
        return materialise(find(reference, progress), progress);
    }

    /**
     * The digest the catalogs list for an image's disk, without fetching it: what a lockfile pins.
     *
     * @return {@code <algorithm>:<hex>}, the strongest digest listed, never null
     * @throws VboxmcpException as {@link #resolve} for an unknown image or unreadable catalogs
     */
    public String catalogDigest(String reference, ProgressListener progress) throws VboxmcpException {
        return find(reference, progress).disk().primary().toString();
    }

    private ImageCatalog.Entry find(String reference, ProgressListener progress) throws VboxmcpException {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(progress, "progress");
        Set<String> known = new LinkedHashSet<>();
        List<String> problems = new ArrayList<>();
        for (URI uri : catalogs) {
            ImageCatalog catalog;
            try {
                catalog = loadCatalog(uri);
            } catch (VboxmcpException e) {
                if (e.code() != ErrorCode.SOURCE_UNAVAILABLE) {
                    throw e;
                }
                ImageTransfer.info(progress, reference, e.getMessage() + "; trying the next catalog");
                problems.add(e.getMessage());
                continue;
            }
            for (ImageCatalog.Entry e : catalog.entries()) {
                if (e.reference().equals(reference)) {
                    return e;
                }
                known.add(e.reference());
            }
        }
        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "unknown base image '" + reference + "'; known: "
                + (known.isEmpty() ? "(none)" : String.join(", ", known))
                + (problems.isEmpty() ? "" : "; unreadable catalogs: " + String.join("; ", problems)));
    }

    private BaseImage materialise(ImageCatalog.Entry e, ProgressListener progress) throws VboxmcpException {
        String[] format = new String[1];
        Path disk = fetch(e.reference(), e.disk(), progress,
                file -> format[0] = DiskFormat.check(e.reference(), file, e.diskFormat()));
        Path kernel = e.kernel() == null ? null : fetch(e.reference(), e.kernel(), progress, file -> { });
        Path initrd = e.initrd() == null ? null : fetch(e.reference(), e.initrd(), progress, file -> { });
        return new BaseImage(e.reference(), disk, format[0], e.disk().primary().toString(), kernel, initrd,
                e.kernelArgs(), e.firmware());
    }

    /** Checks a verified file before it is used; throws to refuse it. */
    interface Check {
        void accept(Path file) throws VboxmcpException;
    }

    /** @return the cached, verified file of one artifact, downloading it if needed */
    Path fetch(String reference, ImageCatalog.Artifact a, ProgressListener progress, Check check) throws VboxmcpException {
        String name = a.primary().fileName();
        Path target = cacheDir.resolve(name);
        try (FileLocks.Held lock = FileLocks.acquire(lockFile(name), LOCK_WAIT, "image " + reference + " " + a.role())) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && stillVerifies(reference, a, target, progress)) {
                    check.accept(target);
                    return target;
                }
                // ART-05: the cached copy changed on disk (or is not a plain file); never use it
                ImageTransfer.info(progress, reference, "cached " + a.role() + " " + name
                        + " no longer matches its digest; discarding it and fetching again");
                stamps.forget(target);
                ImageTransfer.deleteQuietly(target);
            }
            Path part = cacheDir.resolve(name + ".part");
            boolean resumed = Files.exists(part) && sizeOf(part) > 0;
            transfer.download(reference, a, part, progress);
            Digest.Mismatch bad = Digest.firstMismatch(part, a.digests());
            if (bad != null && resumed) {
                // ART-06: what was already on disk plus the rest does not match; start over once
                ImageTransfer.info(progress, reference, "resumed download of " + a.role() + " did not verify; downloading it whole");
                ImageTransfer.deleteQuietly(part);
                transfer.download(reference, a, part, progress);
                bad = Digest.firstMismatch(part, a.digests());
            }
            if (bad != null) {
                ImageTransfer.deleteQuietly(part);
                throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "base image " + reference + " " + a.role()
                        + " from " + a.url() + " has digest " + bad.actual() + ", the catalog says " + bad.expected());
            }
            try {
                check.accept(part);
            } catch (VboxmcpException e) {
                ImageTransfer.deleteQuietly(part);
                throw e;
            }
            move(part, target);
            stamps.record(target, a.digests());
            return target;
        }
    }

    private boolean stillVerifies(String reference, ImageCatalog.Artifact a, Path target, ProgressListener progress)
            throws VboxmcpException {
        if (!rehashAlways && stamps.matches(target, a.digests())) {
            return true;
        }
        ImageTransfer.info(progress, reference, "verifying cached " + a.role() + " " + target.getFileName()
                + " (" + sizeOf(target) + " bytes)");
        if (Digest.firstMismatch(target, a.digests()) != null) {
            return false;
        }
        stamps.record(target, a.digests());
        return true;
    }

    /** @return the catalog at {@code uri}: a file, an HTTP(S) document or the built-in catalog */
    ImageCatalog loadCatalog(URI uri) throws VboxmcpException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        try {
            byte[] body;
            if (uri.equals(ImageCache.BUILTIN_CATALOG)) {
                try (InputStream in = ImageStore.class.getResourceAsStream(BUILTIN_RESOURCE)) {
                    if (in == null) {
                        throw new VboxmcpException(ErrorCode.INTERNAL, "the built-in image catalog is missing");
                    }
                    body = in.readAllBytes();
                }
            } else if (scheme.equals("file")) {
                Path p = Path.of(uri);
                // a user's catalog may be reached through a link, but never a FIFO or device (it would block)
                if (!Files.isRegularFile(p)) {
                    throw Files.exists(p) ? new IOException("not a regular file") : new NoSuchFileException(p.toString());
                }
                body = RegularFiles.read(p.toRealPath(), MAX_CATALOG_BYTES);
            } else if (scheme.equals("http") || scheme.equals("https")) {
                HttpResponse<InputStream> resp = transfer.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET(), uri);
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

    static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    private static void move(Path from, Path to) throws VboxmcpException {
        try {
            AtomicFiles.move(from, to);
            to.toFile().setReadOnly();
        } catch (IOException e) {
            ImageTransfer.deleteQuietly(from);
            throw new VboxmcpException(ErrorCode.IO, "could not store " + to + ": " + e.getMessage(), e);
        }
    }
}
