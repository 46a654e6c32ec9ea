package io.vboxmcp.core.internal.image;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.BaseImage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ImageStoreTest {
    @TempDir
    Path home;
    @TempDir
    Path files;

    private ImageServer server;
    private ImageServer other;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<ProgressEvent> events = new CopyOnWriteArrayList<>();
    private byte[] disk;
    private byte[] kernel;

    @BeforeEach
    void serve() throws IOException {
        Random r = new Random(42);
        disk = new byte[3 * 1024 * 1024 + 17];
        r.nextBytes(disk);
        kernel = new byte[200_000];
        r.nextBytes(kernel);
        server = new ImageServer();
        server.files.put("/img/disk.qcow2", disk);
        server.files.put("/img/vmlinuz", kernel);
        server.files.put("/img/catalog.json", catalog("disk.qcow2", sha(disk), disk.length).getBytes(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() {
        server.close();
        if (other != null) {
            other.close();
        }
    }

    private String catalog(String diskUrl, String diskSha, long diskSize) {
        return "{\"catalogVersion\":1,\"images\":[{\"reference\":\"test:1\","
                + "\"disk\":{\"url\":\"" + diskUrl + "\",\"format\":\"raw\",\"sha256\":\"" + diskSha + "\",\"size\":" + diskSize + "},"
                + "\"kernel\":{\"url\":\"vmlinuz\",\"sha256\":\"" + sha(kernel) + "\",\"size\":" + kernel.length + "},"
                + "\"kernelArgs\":\"console=ttyS0\"}]}";
    }

    private ImageStore store() {
        return new ImageStore(home, List.of(server.uri("/img/catalog.json")), http);
    }

    private List<Path> cacheFiles() throws IOException {
        Path dir = home.resolve("cache/images");
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().equals(".locks")).toList();
        }
    }

    @Test
    void resolve_downloadsVerifiesAndCachesByDigest() throws Exception {
        BaseImage img = store().resolve("test:1", events::add);

        assertThat(img.reference()).isEqualTo("test:1");
        assertThat(img.digest()).isEqualTo("sha256:" + sha(disk));
        assertThat(img.disk()).isEqualTo(home.resolve("cache/images/sha256-" + sha(disk)));
        assertThat(Files.readAllBytes(img.disk())).isEqualTo(disk);
        assertThat(Files.readAllBytes(img.kernel())).isEqualTo(kernel);
        assertThat(img.kernelArgs()).isEqualTo("console=ttyS0");
        assertThat(img.diskFormat()).isEqualTo("raw");
        assertThat(events).filteredOn(e -> e.kind() == ProgressEvent.Kind.BYTES)
                .as("byte progress of the disk download")
                .anySatisfy(e -> assertThat(e.done()).isEqualTo(disk.length));

        int before = server.requestsFor("/img/disk.qcow2");
        BaseImage again = store().resolve("test:1", ProgressListener.NONE);
        assertThat(again.disk()).isEqualTo(img.disk());
        assertThat(server.requestsFor("/img/disk.qcow2")).as("second resolve uses the cache").isEqualTo(before);
    }

    @Test
    void resolve_resumesPartialDownloadWithRange() throws Exception {
        Path part = home.resolve("cache/images/sha256-" + sha(disk) + ".part");
        Files.createDirectories(part.getParent());
        Files.write(part, Arrays.copyOf(disk, 1_000_000));

        BaseImage img = store().resolve("test:1", events::add);

        assertThat(Files.readAllBytes(img.disk())).isEqualTo(disk);
        assertThat(server.ranges).as("Range headers the server saw").contains("bytes=1000000-");
        assertThat(server.bytesSent.get("/img/disk.qcow2")).as("bytes actually transferred")
                .isEqualTo(disk.length - 1_000_000L);
        assertThat(part).doesNotExist();
    }

    @Test
    void resolve_resumedDownloadThatDoesNotVerifyIsFetchedWhole() throws Exception {
        // ART-06: the partial file holds bytes that are not the image's
        Path part = home.resolve("cache/images/sha256-" + sha(disk) + ".part");
        Files.createDirectories(part.getParent());
        byte[] wrong = new byte[500_000];
        Arrays.fill(wrong, (byte) 7);
        Files.write(part, wrong);

        BaseImage img = store().resolve("test:1", events::add);

        assertThat(Files.readAllBytes(img.disk())).isEqualTo(disk);
        assertThat(server.ranges).contains("bytes=500000-");
        assertThat(server.requestsFor("/img/disk.qcow2")).as("a ranged and then a whole download").isEqualTo(2);
    }

    @Test
    void resolve_digestMismatchIsTypedAndLeavesNothingInCache() throws Exception {
        server.files.put("/img/catalog.json", catalog("disk.qcow2", sha(new byte[] {1, 2, 3}), disk.length)
                .getBytes(StandardCharsets.UTF_8));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> store().resolve("test:1", events::add));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(e.getMessage()).contains("sha256:" + sha(disk));
        assertThat(cacheFiles()).as("files in the cache after a digest mismatch").isEmpty();
    }

    @Test
    void resolve_tamperedCachedFileIsReverifiedAndNeverUsed() throws Exception {
        // ART-05
        BaseImage first = store().resolve("test:1", ProgressListener.NONE);
        first.disk().toFile().setWritable(true);
        byte[] tampered = disk.clone();
        tampered[12345] ^= 1;
        Files.write(first.disk(), tampered);

        BaseImage again = store().resolve("test:1", events::add);

        assertThat(Files.readAllBytes(again.disk())).as("the cache holds the genuine bytes again").isEqualTo(disk);
        assertThat(server.requestsFor("/img/disk.qcow2")).as("the tampered copy was fetched again").isEqualTo(2);
        assertThat(events).anySatisfy(ev -> assertThat(ev.message()).contains("no longer matches"));
    }

    @Test
    void resolve_tamperedCachedFileWithSourceGoneIsRefused() throws Exception {
        BaseImage first = store().resolve("test:1", ProgressListener.NONE);
        first.disk().toFile().setWritable(true);
        Files.write(first.disk(), "evil".getBytes(StandardCharsets.UTF_8));
        server.files.remove("/img/disk.qcow2");

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> store().resolve("test:1", events::add));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE);
        assertThat(first.disk()).as("the tampered file is gone").doesNotExist();
    }

    @Test
    void resolve_unknownReferenceListsKnownOnes() {
        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> store().resolve("ubuntu:99.04", events::add));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("ubuntu:99.04").contains("test:1");
    }

    @Test
    void resolve_refusesRedirectToAnotherOrigin() throws Exception {
        // ART-07
        other = new ImageServer();
        other.files.put("/disk.qcow2", disk);
        server.redirects.put("/img/disk.qcow2", other.uri("/disk.qcow2").toString());

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> store().resolve("test:1", events::add));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.POLICY_VIOLATION);
        assertThat(other.requestsFor("/disk.qcow2")).as("requests that reached the other origin").isZero();
        assertThat(cacheFiles()).isEmpty();
    }

    @Test
    void constructor_refusesClientThatFollowsRedirects() {
        HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> new ImageStore(home, List.of(), following)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void resolve_followsRedirectWithinTheOrigin() throws Exception {
        server.files.put("/blobs/d", disk);
        server.redirects.put("/img/disk.qcow2", "/blobs/d");

        BaseImage img = store().resolve("test:1", events::add);

        assertThat(Files.readAllBytes(img.disk())).isEqualTo(disk);
    }

    @Test
    void resolve_serverThatStallsAfterTheHeaders_failsWithinTheIdleTimeout_IDX14() throws Exception {
        server.slow.put("/img/disk.qcow2", 0);
        ImageStore s = new ImageStore(home, List.of(server.uri("/img/catalog.json")), http, false,
                java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(30));
        long t0 = System.nanoTime();
        VboxmcpException e = catchThrowableOfType(() -> s.resolve("test:1", events::add), VboxmcpException.class);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.getMessage()).contains("no data arrived for 1 s");
        assertThat(ms).as("bounded by the idle timeout, not the server").isLessThan(10_000);
        assertThat(cacheFiles()).as("nothing verified was cached").noneMatch(p -> p.getFileName().toString().startsWith("sha256-")
                && !p.getFileName().toString().endsWith(".part"));
    }

    @Test
    void resolve_serverThatDripsBytes_failsWithinTheTotalTimeout_IDX14() throws Exception {
        server.slow.put("/img/disk.qcow2", 200);  // a byte every 0.2 s: never idle for 1 s
        ImageStore s = new ImageStore(home, List.of(server.uri("/img/catalog.json")), http, false,
                java.time.Clock.systemUTC(), java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(2));
        long t0 = System.nanoTime();
        VboxmcpException e = catchThrowableOfType(() -> s.resolve("test:1", events::add), VboxmcpException.class);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT);
        assertThat(e.getMessage()).contains("took longer than 2 s");
        assertThat(ms).isBetween(1_500L, 10_000L);
    }

    @Test
    void resolve_stopsAtDeclaredSize() throws Exception {
        // ART-02: the server sends more than the catalog declares
        server.files.put("/img/catalog.json", catalog("disk.qcow2", sha(disk), 1000).getBytes(StandardCharsets.UTF_8));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> store().resolve("test:1", events::add));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH);
        assertThat(e.getMessage()).contains("1000 bytes");
        assertThat(cacheFiles()).isEmpty();
    }

    @Test
    void resolve_remoteCatalogMayNotNameHostFiles_ART08() throws Exception {
        server.files.put("/img/catalog.json", catalog("file:///etc/passwd", sha(disk), disk.length)
                .getBytes(StandardCharsets.UTF_8));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> store().resolve("test:1", events::add));

        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("host file");
        assertThat(cacheFiles()).isEmpty();
    }

    @Test
    void resolve_remoteCatalogMayNotClimbOutOfItsFolder_ART08() throws Exception {
        server.files.put("/private/disk.qcow2", disk);
        server.files.put("/img/catalog.json", catalog("../private/disk.qcow2", sha(disk), disk.length)
                .getBytes(StandardCharsets.UTF_8));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> store().resolve("test:1", events::add));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.POLICY_VIOLATION);
        assertThat(server.requestsFor("/private/disk.qcow2")).as("requests for the path outside the folder").isZero();
        assertThat(cacheFiles()).isEmpty();
    }

    @Test
    void resolve_fileCatalogCopiesIntoCache() throws Exception {
        Files.write(files.resolve("disk.qcow2"), disk);
        Files.write(files.resolve("vmlinuz"), kernel);
        Files.writeString(files.resolve("catalog.json"), catalog("disk.qcow2", sha(disk), disk.length));
        ImageStore s = new ImageStore(home, List.of(files.resolve("catalog.json").toUri()), http);

        BaseImage img = s.resolve("test:1", events::add);

        assertThat(img.disk()).startsWith(home.resolve("cache/images"));
        assertThat(Files.readAllBytes(img.disk())).isEqualTo(disk);
    }

    @Test
    void resolve_concurrentCallersDownloadOnce() throws Exception {
        ImageStore s = store();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<BaseImage>> f = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                f.add(pool.submit(() -> s.resolve("test:1", ProgressListener.NONE)));
            }
            for (Future<BaseImage> x : f) {
                assertThat(Files.readAllBytes(x.get().disk())).isEqualTo(disk);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.requestsFor("/img/disk.qcow2")).as("downloads of one entry by four threads").isEqualTo(1);
    }

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A loopback HTTP server with Range support, redirects and a request log. */
    static final class ImageServer implements AutoCloseable {
        final Map<String, byte[]> files = new ConcurrentHashMap<>();
        final Map<String, String> redirects = new ConcurrentHashMap<>();
        final List<String> requests = new CopyOnWriteArrayList<>();
        final List<String> ranges = new CopyOnWriteArrayList<>();
        final Map<String, Long> bytesSent = new ConcurrentHashMap<>();
        /** path -> milliseconds between single bytes after the first one; 0 stalls after the first byte */
        final Map<String, Integer> slow = new ConcurrentHashMap<>();
        final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        private final HttpServer http;

        ImageServer() throws IOException {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            http.createContext("/", this::handle);
            http.start();
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + path);
        }

        int requestsFor(String path) {
            return (int) requests.stream().filter(path::equals).count();
        }

        private void handle(HttpExchange ex) throws IOException {
            String path = ex.getRequestURI().getPath();
            requests.add(path);
            try (ex) {
                String to = redirects.get(path);
                if (to != null) {
                    ex.getResponseHeaders().add("Location", to);
                    ex.sendResponseHeaders(302, -1);
                    return;
                }
                byte[] body = files.get(path);
                if (body == null) {
                    ex.sendResponseHeaders(404, -1);
                    return;
                }
                String range = ex.getRequestHeaders().getFirst("Range");
                int from = 0;
                int status = 200;
                if (range != null && range.startsWith("bytes=") && range.endsWith("-")) {
                    ranges.add(range);
                    from = Integer.parseInt(range.substring(6, range.length() - 1));
                    status = 206;
                    ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
                }
                ex.sendResponseHeaders(status, body.length - from);
                Integer drip = slow.get(path);
                if (drip != null) {
                    trickle(ex.getResponseBody(), body, drip);
                    return;
                }
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body, from, body.length - from);
                }
                bytesSent.merge(path, (long) (body.length - from), Long::sum);
            }
        }

        /** Sends one byte, then one byte every {@code drip} ms (or nothing: {@code drip == 0}) until released. */
        private void trickle(OutputStream out, byte[] body, int drip) throws IOException {
            try {
                for (int i = 0; i < body.length; i++) {
                    out.write(body[i]);
                    out.flush();
                    if (released.await(drip == 0 ? 30_000 : drip, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client hung up: what the test wants
            }
        }

        @Override
        public void close() {
            released.countDown();
            http.stop(0);
        }
    }
}
