package io.vboxmcp.git.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Git over HTTP on 127.0.0.1: the real {@code git http-backend} run as a CGI behind the JDK's HTTP server, with
 * optional Basic authentication, an optional redirect of every request to another server, and a record of every
 * {@code Authorization} header it received.
 */
final class GitHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final Path projectRoot;
    volatile String user;
    volatile String password;
    volatile String redirectTo;
    final List<String> authorizationHeaders = new CopyOnWriteArrayList<>();
    final List<String> requests = new CopyOnWriteArrayList<>();

    GitHttpServer(Path projectRoot) throws IOException {
        this.projectRoot = projectRoot;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth != null) authorizationHeaders.add(auth);
            String path = ex.getRequestURI().getPath();
            String query = ex.getRequestURI().getRawQuery();
            requests.add(ex.getRequestMethod() + " " + path + (query == null ? "" : "?" + query));
            String remoteUser = null;
            if (user != null) {
                String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
                if (!expected.equals(auth)) {
                    ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
                    ex.sendResponseHeaders(401, -1);
                    return;
                }
                remoteUser = user;
            }
            if (redirectTo != null) {
                ex.getResponseHeaders().add("Location", redirectTo + path + (query == null ? "" : "?" + query));
                ex.sendResponseHeaders(301, -1);
                return;
            }
            cgi(ex, path, query, remoteUser);
        }
    }

    private void cgi(HttpExchange ex, String path, String query, String remoteUser) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("git", "http-backend");
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> !k.equals("PATH"));
        env.put("GIT_PROJECT_ROOT", projectRoot.toString());
        env.put("GIT_HTTP_EXPORT_ALL", "1");
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("HOME", projectRoot.toString());
        env.put("REQUEST_METHOD", ex.getRequestMethod());
        env.put("PATH_INFO", path);
        env.put("QUERY_STRING", query == null ? "" : query);
        env.put("REMOTE_ADDR", "127.0.0.1");
        env.put("SERVER_PROTOCOL", "HTTP/1.1");
        if (remoteUser != null) env.put("REMOTE_USER", remoteUser);
        String ct = ex.getRequestHeaders().getFirst("Content-Type");
        if (ct != null) env.put("CONTENT_TYPE", ct);
        String cl = ex.getRequestHeaders().getFirst("Content-Length");
        if (cl != null) env.put("CONTENT_LENGTH", cl);
        String ce = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (ce != null) env.put("HTTP_CONTENT_ENCODING", ce);
        String proto = ex.getRequestHeaders().getFirst("Git-Protocol");
        if (proto != null) env.put("GIT_PROTOCOL", proto);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        Thread feeder = new Thread(() -> {
            try (InputStream in = ex.getRequestBody(); OutputStream out = p.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // the backend stopped reading
            }
        }, "cgi-feeder");
        feeder.start();
        InputStream out = p.getInputStream();
        int status = 200;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int c = out.read();
            if (c < 0) break;
            if (c == '\n') {
                String h = line.toString(StandardCharsets.ISO_8859_1).replaceAll("\r$", "");
                line.reset();
                if (h.isEmpty()) break;
                int colon = h.indexOf(':');
                String name = h.substring(0, colon).trim();
                String value = h.substring(colon + 1).trim();
                if (name.toLowerCase(Locale.ROOT).equals("status")) {
                    status = Integer.parseInt(value.split(" ")[0]);
                } else {
                    ex.getResponseHeaders().add(name, value);
                }
            } else {
                line.write(c);
            }
        }
        ex.sendResponseHeaders(status, 0);
        try (OutputStream body = ex.getResponseBody()) {
            out.transferTo(body);
        }
        try {
            p.waitFor();
            feeder.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
