package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP to one registry with the rules a hostile registry meets: redirects followed by hand (at most
 * {@value #MAX_REDIRECTS}, never from https to http, credentials only to the registry's own origin, REG-08); every
 * body read against a byte cap and an overall deadline that also covers the body (a trickling server is cut off,
 * IDX-13, IDX-14); basic and bearer-token auth answered from the registry's challenge. Thread-safe.
 */
final class RegistryHttp implements AutoCloseable {
    static final int MAX_REDIRECTS = 5;
    private static final long MAX_ERROR_BYTES = 64 << 10;
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vboxmcp-oci-deadline");
        t.setDaemon(true);
        return t;
    });

    private final Origin registry;
    private final Credentials credentials;
    private final Duration timeout;
    private final HttpClient client;
    private final RegistryAuth auth;

    /** A response whose body was read completely (within its cap). */
    record Response(int status, Map<String, List<String>> headers, byte[] body, URI uri) {
        Optional<String> header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .flatMap(e -> e.getValue().stream()).findFirst();
        }
    }

    RegistryHttp(Origin registry, Credentials credentials, Duration timeout, SSLContext ssl) {
        this.registry = registry;
        this.credentials = credentials;
        this.timeout = timeout;
        HttpClient.Builder b = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10));
        if (ssl != null) {
            b.sslContext(ssl);
        }
        this.client = b.build();
        this.auth = new RegistryAuth(this, client, registry, credentials);
    }

    Origin registry() {
        return registry;
    }

    /** Sends a request and reads at most {@code maxBytes} of the answer; 4xx/5xx are returned, not thrown. */
    Response send(String method, URI uri, Map<String, String> headers, HttpRequest.BodyPublisher body, long maxBytes)
            throws VboxmcpException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exchange ex = exchange(method, uri, headers, body, deadline);
        try (InputStream in = ex.response.body()) {
            byte[] bytes = readCapped(in, ex.response.statusCode() >= 400 ? MAX_ERROR_BYTES : maxBytes, ex.uri, deadline);
            return new Response(ex.response.statusCode(), ex.response.headers().map(), bytes, ex.uri);
        } catch (IOException e) {
            throw ioFailure(ex.uri, e, deadline);
        }
    }

    /**
     * Streams a {@code GET} body into {@code out}, at most {@code maxBytes}; the caller checks the digest.
     * @return the status (the body of a failed answer is not written)
     */
    int download(URI uri, String accept, OutputStream out, long maxBytes) throws VboxmcpException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exchange ex = exchange("GET", uri, Map.of("Accept", accept), HttpRequest.BodyPublishers.noBody(), deadline);
        int status = ex.response.statusCode();
        try (InputStream in = ex.response.body()) {
            if (status != 200) {
                readCapped(in, MAX_ERROR_BYTES, ex.uri, deadline);
                return status;
            }
            copyCapped(in, out, maxBytes, ex.uri, deadline);
            return status;
        } catch (IOException e) {
            throw ioFailure(ex.uri, e, deadline);
        }
    }

    private record Exchange(HttpResponse<InputStream> response, URI uri) { }

    private Exchange exchange(String method, URI uri, Map<String, String> headers, HttpRequest.BodyPublisher body,
                              long deadline) throws VboxmcpException {
        URI current = uri;
        boolean authTried = false;
        for (int hop = 0; hop <= MAX_REDIRECTS; ) {
            Origin o = Origin.of(current);
            HttpResponse<InputStream> r = once(method, current, headers, body, o.equals(registry), deadline);
            int status = r.statusCode();
            if (status == 401 && o.equals(registry) && !authTried) {
                authTried = true;
                drain(r);
                if (auth.answer(r.headers().firstValue("WWW-Authenticate").orElse(""), deadline)) {
                    continue;
                }
                return new Exchange(resend(method, current, headers, body, deadline), current);
            }
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                drain(r);
                String loc = r.headers().firstValue("Location").orElseThrow(() -> new VboxmcpException(
                        ErrorCode.SOURCE_UNAVAILABLE, "registry " + registry + " redirected without a Location"));
                URI next;
                try {
                    next = current.resolve(loc.trim());
                } catch (IllegalArgumentException e) {
                    throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "registry " + registry
                            + " redirected to an invalid URL");
                }
                if (next.getScheme() == null || !(next.getScheme().equalsIgnoreCase("https")
                        || next.getScheme().equalsIgnoreCase("http"))) {
                    throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "registry " + registry
                            + " redirected to a non-http URL; refused");
                }
                if ("https".equals(o.scheme()) && next.getScheme().equalsIgnoreCase("http")) {
                    throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "registry " + registry
                            + " redirected from https to plain http (" + Origin.of(next) + "); refused");
                }
                current = next;
                hop++;
                continue;
            }
            return new Exchange(r, current);
        }
        throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "registry " + registry + " redirected more than "
                + MAX_REDIRECTS + " times");
    }

    private HttpResponse<InputStream> resend(String method, URI uri, Map<String, String> headers,
                                             HttpRequest.BodyPublisher body, long deadline) throws VboxmcpException {
        return once(method, uri, headers, body, true, deadline);
    }

    private HttpResponse<InputStream> once(String method, URI uri, Map<String, String> headers,
                                           HttpRequest.BodyPublisher body, boolean ownOrigin, long deadline)
            throws VboxmcpException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw timedOut(uri);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofNanos(left)).method(method, body);
        headers.forEach(b::header);
        if (ownOrigin) {
            // credentials and tokens go to the registry's own origin only; a redirect elsewhere gets none (REG-08)
            auth.authorization().ifPresent(a -> b.header("Authorization", a));
        }
        try {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw timedOut(uri);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "registry " + Origin.of(uri) + " failed: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while talking to " + Origin.of(uri), e);
        }
    }

    VboxmcpException timedOut(URI uri) {
        return new VboxmcpException(ErrorCode.TIMEOUT, "registry " + Origin.of(uri) + " did not answer within "
                + timeout.toSeconds() + " s (" + io.vboxmcp.oci.OciKeys.REQUEST_TIMEOUT_SECONDS + ")");
    }

    private VboxmcpException ioFailure(URI uri, IOException e, long deadline) {
        if (System.nanoTime() - deadline >= 0) {
            return timedOut(uri);
        }
        return new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "registry " + Origin.of(uri) + " failed: "
                + e.getMessage(), e);
    }

    private static void drain(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            in.readNBytes((int) MAX_ERROR_BYTES);
        } catch (IOException ignored) {
            // the answer was a redirect or a challenge; its body does not matter
        }
    }

    /** Reads all of {@code in}, failing once more than {@code max} bytes arrive or the deadline passes. */
    byte[] readCapped(InputStream in, long max, URI uri, long deadline) throws IOException, VboxmcpException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        copyCapped(in, out, max, uri, deadline);
        return out.toByteArray();
    }

    private void copyCapped(InputStream in, OutputStream out, long max, URI uri, long deadline)
            throws IOException, VboxmcpException {
        AtomicBoolean fired = new AtomicBoolean();
        // a read that blocks forever (a server that stops sending) is ended by closing the stream at the deadline
        ScheduledFuture<?> kill = WATCHDOG.schedule(() -> {
            fired.set(true);
            try {
                in.close();
            } catch (IOException ignored) {
                // closing to unblock the reader
            }
        }, Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        try {
            byte[] buf = new byte[64 << 10];
            long total = 0;
            int n;
            while (true) {
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    if (fired.get()) {
                        throw timedOut(uri);
                    }
                    throw e;
                }
                if (n < 0) {
                    break;
                }
                if (fired.get() || System.nanoTime() - deadline >= 0) {
                    throw timedOut(uri);
                }
                total += n;
                if (total > max) {
                    throw new VboxmcpException(ErrorCode.RESOURCE_LIMIT, "registry " + Origin.of(uri)
                            + " sent more than " + max + " bytes for " + safePath(uri) + "; aborted at the cap");
                }
                out.write(buf, 0, n);
            }
            if (fired.get()) {
                throw timedOut(uri);
            }
        } finally {
            kill.cancel(false);
        }
    }

    static String safePath(URI uri) {
        String p = uri.getRawPath();
        return p == null ? "" : p.replaceAll("[^A-Za-z0-9/._:@%-]", "?");
    }

    static HttpRequest.BodyPublisher file(Path p) throws VboxmcpException {
        try {
            return HttpRequest.BodyPublishers.ofFile(p);
        } catch (java.io.FileNotFoundException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    static long size(Path p) throws VboxmcpException {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        // java.net.http.HttpClient releases its threads when unreachable (close() is Java 21+)
    }
}
