package io.vboxmcp.oci.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.OciKeys;
import io.vboxmcp.testkit.StubProviderContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A registry that lies, floods, trickles and redirects: small HTTP servers on 127.0.0.1. */
class HostileRegistryTest {
    HttpServer registry;
    HttpServer other;
    final Map<String, Handler> routes = new ConcurrentHashMap<>();
    final List<String> otherAuthorization = new CopyOnWriteArrayList<>();
    final AtomicInteger requests = new AtomicInteger();

    interface Handler {
        void handle(HttpExchange x) throws IOException;
    }

    @BeforeEach
    void start() throws IOException {
        registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        registry.createContext("/", x -> {
            requests.incrementAndGet();
            Handler h = routes.get(x.getRequestURI().getPath());
            try (x) {
                if (h == null) {
                    x.sendResponseHeaders(404, -1);
                } else {
                    h.handle(x);
                }
            } catch (IOException clientGone) {
                // the client cut the connection: that is what some tests expect
            }
        });
        registry.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        registry.start();
        // "another origin": the same address under another port
        other = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        other.createContext("/", x -> {
            otherAuthorization.add(String.valueOf(x.getRequestHeaders().getFirst("Authorization")));
            byte[] b = "{}".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        other.start();
    }

    @AfterEach
    void stop() {
        registry.stop(0);
        other.stop(0);
    }

    OciClient client(Credentials creds, Duration timeout, long maxDoc) {
        return new OciClient(new RegistryHttp(new Origin("http", "127.0.0.1", registry.getAddress().getPort()), creds,
                timeout, null), maxDoc);
    }

    static void send(HttpExchange x, int status, String type, byte[] body) throws IOException {
        if (type != null) {
            x.getResponseHeaders().add("Content-Type", type);
        }
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            x.getResponseBody().write(body);
        }
    }

    @Test
    void manifest_abortsAtTheCapWhenTheRegistrySendsAHugeManifest_IDX13(@TempDir Path tmp) {
        routes.put("/v2/ns/big/manifests/1.0.0", x -> {
            x.getResponseHeaders().add("Content-Type", OciClient.MANIFEST);
            x.sendResponseHeaders(200, 0);  // chunked: no length announced, the body never ends by itself
            byte[] chunk = new byte[64 << 10];
            java.util.Arrays.fill(chunk, (byte) ' ');
            try (OutputStream out = x.getResponseBody()) {
                for (int i = 0; i < 10_000; i++) {
                    out.write(chunk);
                }
            }
        });
        assertThatThrownBy(() -> client(null, Duration.ofSeconds(20), 256 << 10).manifest("ns/big", "1.0.0"))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.RESOURCE_LIMIT);
                    assertThat(e.getMessage()).contains("aborted at the cap");
                });
    }

    @Test
    void manifest_timesOutWhenTheRegistryTrickles_IDX14() {
        routes.put("/v2/ns/slow/manifests/1.0.0", x -> {
            x.sendResponseHeaders(200, 0);
            OutputStream out = x.getResponseBody();
            try {
                for (int i = 0; i < 600; i++) {
                    out.write(' ');
                    out.flush();
                    Thread.sleep(100);  // the hostile server's pace, not the test waiting for a result
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> client(null, Duration.ofSeconds(2), 4 << 20).manifest("ns/slow", "1.0.0"))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(6));
    }

    @Test
    void manifest_refusesBytesThatDoNotHashToTheRequestedDigest_IDX09() {
        String listed = IndexFixture.digest('a');
        routes.put("/v2/ns/mix/manifests/" + listed, x -> send(x, 200, OciClient.MANIFEST,
                "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> client(null, Duration.ofSeconds(5), 4 << 20).manifest("ns/mix", listed))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH));
    }

    @Test
    void pullBlob_refusesAndDeletesABlobThatDoesNotMatchItsDigest(@TempDir Path tmp) {
        byte[] body = "not what was promised".getBytes(StandardCharsets.UTF_8);
        String promised = Digests.sha256("the real package".getBytes(StandardCharsets.UTF_8));
        routes.put("/v2/ns/t/blobs/" + promised, x -> send(x, 200, "application/octet-stream", body));
        Path target = tmp.resolve("pkg.tar.gz");
        assertThatThrownBy(() -> client(null, Duration.ofSeconds(5), 4 << 20).pullBlob("ns/t", promised, body.length, target))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.DIGEST_MISMATCH));
        assertThat(target).doesNotExist();
    }

    @Test
    void redirectToAnotherOrigin_carriesNoCredentials_REG08(@TempDir Path tmp) throws Exception {
        String digest = Digests.sha256("{}".getBytes(StandardCharsets.UTF_8));
        List<String> seenHere = new CopyOnWriteArrayList<>();
        routes.put("/v2/ns/t/blobs/" + digest, x -> {
            String auth = x.getRequestHeaders().getFirst("Authorization");
            seenHere.add(String.valueOf(auth));
            if (auth == null) {
                x.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"test\"");
                send(x, 401, null, new byte[0]);
                return;
            }
            x.getResponseHeaders().add("Location", "http://127.0.0.1:" + other.getAddress().getPort() + "/storage/blob");
            send(x, 307, null, new byte[0]);
        });
        client(new Credentials("alice", "s3cret"), Duration.ofSeconds(5), 4 << 20).pullBlob("ns/t", digest, 2,
                tmp.resolve("b"));
        assertThat(seenHere).contains(new Credentials("alice", "s3cret").basicHeader());
        assertThat(otherAuthorization).containsExactly("null");
    }

    @Test
    void bearerChallenge_tokenFromTheRegistrysOwnRealmWithTheLogin_REG08(@TempDir Path tmp) throws Exception {
        String digest = Digests.sha256("{}".getBytes(StandardCharsets.UTF_8));
        String login = new Credentials("alice", "s3cret").basicHeader();
        String realm = "http://127.0.0.1:" + registry.getAddress().getPort() + "/token";
        List<String> tokenRequests = new CopyOnWriteArrayList<>();
        routes.put("/token", x -> {
            tokenRequests.add(x.getRequestURI().getRawQuery() + " " + x.getRequestHeaders().getFirst("Authorization"));
            boolean ok = login.equals(x.getRequestHeaders().getFirst("Authorization"));
            send(x, ok ? 200 : 401, "application/json", ok ? "{\"token\":\"t-123\"}".getBytes(StandardCharsets.UTF_8)
                    : new byte[0]);
        });
        routes.put("/v2/ns/t/blobs/" + digest, x -> {
            if (!"Bearer t-123".equals(x.getRequestHeaders().getFirst("Authorization"))) {
                x.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"" + realm
                        + "\",service=\"registry\",scope=\"repository:ns/t:pull\"");
                send(x, 401, null, new byte[0]);
                return;
            }
            send(x, 200, "application/octet-stream", "{}".getBytes(StandardCharsets.UTF_8));
        });
        client(new Credentials("alice", "s3cret"), Duration.ofSeconds(5), 4 << 20).pullBlob("ns/t", digest, 2,
                tmp.resolve("b"));
        assertThat(tmp.resolve("b")).hasContent("{}");
        assertThat(tokenRequests).singleElement().satisfies(r -> assertThat(r)
                .contains("service=registry", "scope=repository%3Ans%2Ft%3Apull", login));
    }

    @Test
    void bearerChallenge_realmOnAnotherOrigin_getsNoLogin_REG08(@TempDir Path tmp) {
        String digest = Digests.sha256("{}".getBytes(StandardCharsets.UTF_8));
        routes.put("/v2/ns/t/blobs/" + digest, x -> {
            x.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:"
                    + other.getAddress().getPort() + "/token\",service=\"evil\"");
            send(x, 401, null, new byte[0]);
        });
        // the other origin answers {} (no token): refused, and it never saw the login
        assertThatThrownBy(() -> client(new Credentials("alice", "s3cret"), Duration.ofSeconds(5), 4 << 20)
                .pullBlob("ns/t", digest, 2, tmp.resolve("b")))
                .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.getMessage()).contains("no token"));
        assertThat(otherAuthorization).containsExactly("null");
        assertThat(tmp.resolve("b")).doesNotExist();
    }

    @Test
    void referrers_comeFromTheReferrersApiWhereTheRegistryHasOne_elseFromTheFallbackTag() throws Exception {
        String subject = IndexFixture.digest('a');
        String viaApi = "{\"schemaVersion\":2,\"mediaType\":\"" + OciClient.INDEX + "\",\"manifests\":[{\"mediaType\":\""
                + OciClient.MANIFEST + "\",\"digest\":\"" + IndexFixture.digest('b') + "\",\"size\":9,\"artifactType\":\""
                + Artifacts.SIGNATURE_TYPE + "\"}]}";
        routes.put("/v2/ns/t/referrers/" + subject, x -> send(x, 200, OciClient.INDEX, viaApi.getBytes(StandardCharsets.UTF_8)));
        assertThat(client(null, Duration.ofSeconds(5), 4 << 20).referrers("ns/t", subject))
                .singleElement().satisfies(d -> assertThat(d.path("digest").asText()).isEqualTo(IndexFixture.digest('b')));
        routes.remove("/v2/ns/t/referrers/" + subject);
        String fallback = viaApi.replace(IndexFixture.digest('b'), IndexFixture.digest('c'));
        routes.put("/v2/ns/t/manifests/" + OciClient.fallbackTag(subject), x -> send(x, 200, OciClient.INDEX,
                fallback.getBytes(StandardCharsets.UTF_8)));
        assertThat(client(null, Duration.ofSeconds(5), 4 << 20).referrers("ns/t", subject))
                .singleElement().satisfies(d -> assertThat(d.path("digest").asText()).isEqualTo(IndexFixture.digest('c')));
    }

    @Test
    void bootstrapRoot_badlySigned_isRefusedBeforeAnyRequest_IDX22(@TempDir Path tmp) throws Exception {
        IndexFixture fx = new IndexFixture(tmp);
        IndexFixture.Key owner = fx.key("owner");
        IndexFixture.Key intruder = fx.key("intruder");
        Path root = tmp.resolve("root.json");
        Files.writeString(root, IndexFixture.root(1, java.time.Instant.now().plusSeconds(3600), List.of(owner), 1,
                List.of(owner), 1));
        Templates.sshSign(intruder.file(), root, IndexTrust.NAMESPACE);
        StubProviderContext ctx = new StubProviderContext(tmp.resolve("home"));
        SourceConfig sc = new SourceConfig("evil", URI.create("oci://127.0.0.1:" + registry.getAddress().getPort() + "/ns"),
                0, Map.of(OciKeys.OPTION_ROOT, root.toString()));
        assertThatThrownBy(() -> new OciTemplateSourceFactory().create(sc, ctx)).isInstanceOf(IndexRefusedException.class);
        assertThat(requests.get()).isZero();
    }
}
