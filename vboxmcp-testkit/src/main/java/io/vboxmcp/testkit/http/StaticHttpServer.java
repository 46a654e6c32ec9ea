package io.vboxmcp.testkit.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves a folder read-only over HTTP on {@code 127.0.0.1} (an ephemeral port) for tests that need a real package
 * repository, image or mirror: {@code GET} and {@code HEAD} of regular files (a path ending in {@code /} serves that
 * folder's {@code index.html}), 404 for anything else, 405 for other methods. No directory listings, no path outside the folder (no {@code ..}, no links leaving it). A QEMU guest on user
 * networking reaches it at {@code http://10.0.2.2:<port>/}.
 *
 * <pre>{@code
 * try (StaticHttpServer repo = StaticHttpServer.serve(dir)) {
 *     URI index = repo.uri("simple/");
 * }
 * }</pre>
 *
 * @since 0.2.0
 */
public final class StaticHttpServer implements AutoCloseable {
    private final Path root;
    private final HttpServer server;
    private final ExecutorService executor;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    private StaticHttpServer(Path root) throws IOException {
        this.root = root.toRealPath();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "static-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * @param root an existing folder
     * @return a started server; close it to stop
     */
    public static StaticHttpServer serve(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("not a folder: " + root);
        }
        return new StaticHttpServer(root);
    }

    /** @return the port on 127.0.0.1 */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return {@code http://127.0.0.1:<port>/<path>} */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + "/" + path);
    }

    /** @return the request paths seen so far ({@code GET /a/b}), in order */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String raw = ex.getRequestURI().getRawPath();
            requests.add(method + " " + raw);
            if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                ex.sendResponseHeaders(405, -1);
                return;
            }
            Path file = resolve(ex.getRequestURI().getPath());
            if (file == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            long size = Files.size(file);
            ex.getResponseHeaders().set("Content-Type", contentType(file.getFileName().toString()));
            if (method.equals("HEAD")) {
                ex.getResponseHeaders().set("Content-Length", Long.toString(size));
                ex.sendResponseHeaders(200, -1);
                return;
            }
            ex.sendResponseHeaders(200, size == 0 ? -1 : size);
            if (size > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    Files.copy(file, out);
                }
            }
        }
    }

    /** @return the regular file under the root that the decoded path names, or null */
    Path resolve(String decodedPath) throws IOException {
        if (decodedPath == null || !decodedPath.startsWith("/") || decodedPath.indexOf('\0') >= 0
                || decodedPath.contains("\\")) {
            return null;
        }
        for (String part : decodedPath.split("/")) {
            if (part.equals("..") || part.equals(".")) {
                return null;
            }
        }
        Path p = root.resolve(decodedPath.substring(1) + (decodedPath.endsWith("/") ? "index.html" : "")).normalize();
        if (!p.startsWith(root) || !Files.isRegularFile(p)) {
            return null;
        }
        Path real = p.toRealPath();
        return real.startsWith(root) && Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS) ? real : null;
    }

    private static String contentType(String name) {
        if (name.endsWith(".html") || name.endsWith(".htm")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".json")) {
            return "application/json";
        }
        if (name.endsWith(".txt") || name.endsWith(".sha256") || name.endsWith(".asc")) {
            return "text/plain; charset=utf-8";
        }
        return "application/octet-stream";
    }

    /** Stops accepting, ends the exchanges in progress and releases the port. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
