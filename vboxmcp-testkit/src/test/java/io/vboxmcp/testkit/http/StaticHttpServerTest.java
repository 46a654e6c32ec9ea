package io.vboxmcp.testkit.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StaticHttpServerTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    private Path site() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("site/repo"));
        Files.writeString(root.resolve("hello.txt"), "hello\n");
        Files.writeString(root.resolve("index.html"), "<p>index</p>\n");
        Files.writeString(tmp.resolve("secret.txt"), "outside the root\n");
        Files.createSymbolicLink(root.resolve("escape.txt"), tmp.resolve("secret.txt"));
        return tmp.resolve("site");
    }

    /** Sends a raw request line (so that no client normalizes the path) and returns the status line. */
    private static String rawStatus(int port, String target) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String resp = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return resp.substring(0, resp.indexOf("\r\n"));
        }
    }

    @Test
    void serve_getsAndHeadsFilesAndIndexes() throws Exception {
        try (StaticHttpServer s = StaticHttpServer.serve(site())) {
            HttpResponse<String> get = http.send(HttpRequest.newBuilder(s.uri("repo/hello.txt")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(get.statusCode()).isEqualTo(200);
            assertThat(get.body()).isEqualTo("hello\n");
            HttpResponse<String> head = http.send(HttpRequest.newBuilder(s.uri("repo/hello.txt"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Content-Length")).hasValue("6");
            assertThat(head.body()).isEmpty();
            assertThat(http.send(HttpRequest.newBuilder(s.uri("repo/")).build(), HttpResponse.BodyHandlers.ofString())
                    .body()).isEqualTo("<p>index</p>\n");
            assertThat(http.send(HttpRequest.newBuilder(s.uri("repo/hello.txt"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(405);
            assertThat(s.requests()).contains("GET /repo/hello.txt", "HEAD /repo/hello.txt");
        }
    }

    @Test
    void serve_refusesTraversalLinksOutOfTheRootAndListings() throws Exception {
        try (StaticHttpServer s = StaticHttpServer.serve(site())) {
            for (String target : new String[] {"/../secret.txt", "/repo/../../secret.txt", "/repo/%2e%2e/%2e%2e/secret.txt",
                    "/repo/..%2f..%2fsecret.txt", "/repo/escape.txt", "/", "/repo/missing", "/repo/hello.txt%00.png"}) {
                assertThat(rawStatus(s.port(), target)).as(target).isEqualTo("HTTP/1.1 404 Not Found");
            }
        }
    }

    @Test
    void close_releasesThePort() throws Exception {
        StaticHttpServer s = StaticHttpServer.serve(site());
        int port = s.port();
        assertThat(rawStatus(port, "/repo/hello.txt")).isEqualTo("HTTP/1.1 200 OK");
        s.close();
        assertThatThrownBy(() -> rawStatus(port, "/repo/hello.txt")).isInstanceOf(ConnectException.class);
    }
}
