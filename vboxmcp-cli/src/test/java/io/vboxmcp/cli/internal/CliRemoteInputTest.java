package io.vboxmcp.cli.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #11, classes 2, 3 and 4 and the {@code source add} findings through the real launcher: downloads from a
 * real hostile HTTP server on 127.0.0.1 (stalling, dripping), unsigned remote packages, key files with several
 * keys, control characters in template fields, credentials in source URLs.
 */
class CliRemoteInputTest {
    @TempDir
    Path tmp;
    ServerSocket server;
    Thread serving;
    final CountDownLatch requested = new CountDownLatch(1);
    Map<String, String> before;

    Path home() {
        return tmp.resolve("home");
    }

    Launcher cli() {
        return new Launcher(home()).within(Duration.ofMinutes(2));
    }

    @BeforeEach
    void initialisedHome() throws Exception {
        assertThat(cli().run("list").exit()).isZero();
        before = Fixtures.snapshot(home());
    }

    @AfterEach
    void stopServer() throws IOException {
        if (server != null) {
            server.close();
            serving.interrupt();
        }
    }

    /** How the hostile server answers after reading the request. */
    interface Behaviour {
        void answer(OutputStream out) throws IOException, InterruptedException;
    }

    /** A raw HTTP/1.1 server on 127.0.0.1 that answers every request with {@code b}; returns a package URL. */
    String serve(Behaviour b) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        serving = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    StringBuilder head = new StringBuilder();
                    while (!head.toString().endsWith("\r\n\r\n")) {
                        int c = in.read();
                        if (c < 0) {
                            break;
                        }
                        head.append((char) c);
                    }
                    requested.countDown();
                    b.answer(s.getOutputStream());
                } catch (IOException | InterruptedException e) {
                    // the client hung up or the test ended
                }
            }
        }, "hostile-http");
        serving.setDaemon(true);
        serving.start();
        return "http://127.0.0.1:" + server.getLocalPort() + "/pkg/demo-1.0.0.tar.gz";
    }

    static void headers(OutputStream out, long length) throws IOException {
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private void assertNothingWritten() throws IOException {
        Map<String, String> after = Fixtures.snapshot(home());
        // the download folder's parent may now exist; it must be empty
        assertThat(after.keySet()).noneMatch(k -> k.startsWith("tmp/"));
        after.remove("tmp");
        // refusals of remote installs are audited (deny records); the repository and trust files are unchanged
        after.keySet().removeIf(k -> k.startsWith("audit"));
        Map<String, String> expected = new java.util.TreeMap<>(before);
        expected.keySet().removeIf(k -> k.startsWith("audit"));
        assertThat(after).isEqualTo(expected);
    }

    @Test
    void installUrl_failsWithinTheIdleTimeout_whenTheServerStallsAfterTheHeaders_IDX14() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        String url = serve(out -> {
            headers(out, 100_000);
            out.write(new byte[10]);
            out.flush();
            never.await();
        });
        long start = System.nanoTime();
        Launcher.Result r = cli().env("VBOXMCP_DOWNLOAD_IDLE_TIMEOUT", "2").within(Duration.ofSeconds(60))
                .run("install", "--json", url);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        never.countDown();
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("TIMEOUT");
        assertThat(r.json().path("error").path("message").asText()).contains("stalled", "2 s");
        assertThat(took).isLessThan(Duration.ofSeconds(30));
        assertNothingWritten();
    }

    @Test
    void installUrl_failsWithinTheTotalTimeout_whenTheServerDripsBytes_IDX14() throws Exception {
        String url = serve(out -> {
            headers(out, 100_000);
            for (int i = 0; i < 100_000; i++) {
                out.write('x');
                out.flush();
                Thread.sleep(500);  // the server's behaviour: one byte every half second, never idle for long
            }
        });
        long start = System.nanoTime();
        Launcher.Result r = cli().env("VBOXMCP_DOWNLOAD_IDLE_TIMEOUT", "3").env("VBOXMCP_DOWNLOAD_TOTAL_TIMEOUT", "4")
                .within(Duration.ofSeconds(60)).run("install", "--json", url);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("TIMEOUT");
        assertThat(r.json().path("error").path("message").asText()).contains("longer than 4 s");
        assertThat(took).isLessThan(Duration.ofSeconds(30));
        assertNothingWritten();
    }

    @Test
    void installUrl_interrupted_leavesNoTemporaryFiles_IDX20() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        String url = serve(out -> {
            headers(out, 100_000);
            out.write(new byte[50_000]);
            out.flush();
            never.await();
        });
        Process p = new Launcher(home()).start(tmp.resolve("install.log"), "install", url);
        try {
            assertThat(requested.await(60, TimeUnit.SECONDS)).isTrue();
            // the half-written download exists before the interrupt ...
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (downloads().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);  // polling for the partial file, not waiting for a result
            }
            assertThat(downloads()).as("a partial download on disk").isNotEmpty();
            p.destroy();  // SIGTERM, as a terminal's Ctrl-C or a CI job's cancel sends a signal
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            never.countDown();
            p.destroyForcibly();
        }
        // ... and nothing is left after it
        assertThat(downloads()).isEmpty();
        assertNothingWritten();
    }

    private java.util.List<Path> downloads() throws IOException {
        Path dir = home().resolve("tmp");
        if (!Files.isDirectory(dir)) {
            return java.util.List.of();
        }
        try (Stream<Path> st = Files.walk(dir)) {
            return st.filter(Files::isRegularFile).toList();
        }
    }

    private String servePackage(Path pkg) throws IOException {
        byte[] body = Files.readAllBytes(pkg);
        return serve(out -> {
            headers(out, body.length);
            out.write(body);
            out.flush();
        });
    }

    @Test
    void installUrl_refusesAnUnsignedPackage_evenWithAllowUnsignedOverPlainHttp_ART11() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "unsigned");
        assertThat(new Launcher(tmp.resolve("author")).run("pack", t.toString(), "-o", tmp.resolve("p.tar.gz").toString())
                .exit()).isZero();
        String url = servePackage(tmp.resolve("p.tar.gz"));

        Launcher.Result r = cli().run("install", "--json", url);
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("UNTRUSTED");
        assertThat(r.json().path("error").path("message").asText()).contains("not signed", "--allow-unsigned");
        assertNothingWritten();

        Launcher.Result allowed = cli().run("install", "--json", "--allow-unsigned", url);
        assertThat(allowed.exit()).as(allowed.show()).isEqualTo(1);
        assertThat(allowed.json().path("error").path("message").asText()).contains("plain http");
        assertNothingWritten();
        // each refusal in the URL layer wrote exactly one deny record naming the URL and the code
        List<String> denies = Files.readAllLines(home().resolve("audit.log")).stream()
                .filter(l -> l.contains("\"outcome\":\"deny\"")).toList();
        assertThat(denies).hasSize(2).allSatisfy(l -> assertThat(l).contains("\"code\":\"UNTRUSTED\"", url));
        assertThat(cli().run("audit", "verify").exit()).as("the log with its deny records verifies").isZero();
    }

    @Test
    void installUrl_refusesAPackageSignedByAnUnpinnedKey() throws Exception {
        Path t = Fixtures.template(tmp, "demo", "1.0.0", "signed by a stranger");
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "stranger", "");
        Launcher author = new Launcher(tmp.resolve("author"));
        assertThat(author.run("sign", t.toString(), "--key", key.toString()).exit()).isZero();
        assertThat(author.run("pack", t.toString(), "-o", tmp.resolve("p.tar.gz").toString()).exit()).isZero();
        String url = servePackage(tmp.resolve("p.tar.gz"));

        Launcher.Result r = cli().run("install", "--json", url);
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isIn("UNTRUSTED", "SIGNATURE_INVALID");
        assertNothingWritten();
    }

    @Test
    void trustAdd_refusesAFileWithSeveralKeys_sayingHowMany_SIG05() throws Exception {
        Path a = Fixtures.sshKey(tmp.resolve("keys"), "a", "");
        Path b = Fixtures.sshKey(tmp.resolve("keys"), "b", "");
        Path both = Files.writeString(tmp.resolve("both.pub"),
                Files.readString(Path.of(a + ".pub")) + Files.readString(Path.of(b + ".pub")));
        Launcher.Result r = cli().run("trust", "add", "--json", both.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("INVALID_ARGUMENT");
        assertThat(r.json().path("error").path("keysFound").asInt()).isEqualTo(2);
        assertThat(r.json().path("error").path("message").asText()).contains("2 SSH key lines", "nothing was pinned");
        assertNothingWritten();
        assertThat(Fixtures.denyRecords(home())).as("the refused key file is audited").hasSize(1);
    }

    @Test
    void trustAdd_refusesAFifo_insteadOfBlocking_ARC07() throws Exception {
        Path fifo = tmp.resolve("key.pub");
        Fixtures.run(tmp, "mkfifo", fifo.toString());
        Launcher.Result r = cli().within(Duration.ofSeconds(60)).run("trust", "add", fifo.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(2);
        assertThat(r.err()).contains("not a regular file");
        assertThat(Fixtures.snapshot(home())).isEqualTo(before);
    }

    @Test
    void listSearchAndErrors_escapeControlAndBidiCharacters_jsonStaysValid_YML13() throws Exception {
        String hostile = "ok\u001b]0;PWNED\u0007\u001b[2J\rfake \u202eevil\u0085";
        Path t = Fixtures.template(tmp, "evil", "1.0.0", "placeholder");
        Path def = t.resolve("template-definition.yaml");
        Files.writeString(def, Files.readString(def).replace("\"placeholder\"",
                "\"ok\\e]0;PWNED\\a\\e[2J\\rfake \\u202Eevil\\N\""));
        assertThat(cli().run("install", t.toString()).exit()).isZero();

        for (String[] cmd : new String[][]{{"list"}, {"search"}, {"search", "evil"}, {"remove", "x\u001b]0;y\u0007"}}) {
            Launcher.Result r = cli().run(cmd);
            String all = r.out() + r.err();
            assertThat(all).as(r.show()).doesNotContain("\u001b", "\u0007", "\r", "\u202e", "\u0085");
        }
        assertThat(cli().run("list").out()).contains("ok\\u001b]0;PWNED\\u0007\\u001b[2J\\u000dfake \\u202eevil\\u0085");

        Launcher.Result json = cli().run("list", "--json");
        assertThat(json.out()).doesNotContain("\u001b", "\u202e", "\u0085");
        assertThat(json.json().path("templates").get(0).path("description").asText()).isEqualTo(hostile);
    }

    @Test
    void sourceAdd_refusesAUrlWithAPassword_neverStoringOrEchoingIt_AUD06() throws Exception {
        for (String url : new String[]{"https://alice:hunter2@git.example.org/t.git", "https://hunter2@git.example.org/t.git",
                "ssh://alice:hunter2@git.example.org/t.git"}) {
            Launcher.Result r = cli().run("source", "add", "acme", url);
            assertThat(r.exit()).as(r.show()).isEqualTo(2);
            assertThat(r.out() + r.err()).doesNotContain("hunter2").contains("password or token", "--credentials-env");
            Launcher.Result j = cli().run("source", "add", "--json", "acme", url);
            assertThat(j.out() + j.err()).doesNotContain("hunter2");
        }
        assertThat(Fixtures.snapshot(home())).isEqualTo(before);
    }

    @Test
    void sourceAdd_refusesAnUnsupportedScheme_listingTheSupportedOnes() throws Exception {
        for (String url : new String[]{"ftp://example.org/t.git", "gopher://example.org/x", "https://example.org/not-a-repo"}) {
            Launcher.Result r = cli().run("source", "add", "acme", url);
            assertThat(r.exit()).as(r.show()).isEqualTo(2);
            assertThat(r.err()).contains("supported:", "https://HOST/PATH.git", "ssh://");
        }
        assertThat(Fixtures.snapshot(home())).isEqualTo(before);
    }

    @Test
    void installUrl_allowUnsignedOverHttps_installsAndIsRecordedInTheAuditLog_ART11() throws Exception {
        // a real TLS server on 127.0.0.1 with a certificate made by keytool, trusted by the command's JVM only
        Path ks = tmp.resolve("server.p12");
        Path ts = tmp.resolve("trust.p12");
        Path cert = tmp.resolve("server.crt");
        Fixtures.run(tmp, "keytool", "-genkeypair", "-alias", "srv", "-keyalg", "EC", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", ks.toString(), "-storepass", "changeit",
                "-storetype", "PKCS12");
        Fixtures.run(tmp, "keytool", "-exportcert", "-alias", "srv", "-keystore", ks.toString(), "-storepass", "changeit",
                "-file", cert.toString());
        Fixtures.run(tmp, "keytool", "-importcert", "-noprompt", "-alias", "srv", "-file", cert.toString(), "-keystore",
                ts.toString(), "-storepass", "changeit", "-storetype", "PKCS12");
        java.security.KeyStore k = java.security.KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            k.load(in, "changeit".toCharArray());
        }
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
        kmf.init(k, "changeit".toCharArray());
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);

        Path t = Fixtures.template(tmp, "demo", "1.0.0", "unsigned over https");
        assertThat(new Launcher(tmp.resolve("author")).run("pack", t.toString(), "-o", tmp.resolve("p.tar.gz").toString())
                .exit()).isZero();
        byte[] body = Files.readAllBytes(tmp.resolve("p.tar.gz"));
        com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
        https.createContext("/pkg/", ex -> {
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        https.start();
        try {
            String url = "https://127.0.0.1:" + https.getAddress().getPort() + "/pkg/demo-1.0.0.tar.gz";
            Launcher tlsCli = cli().env("VBOXMCP_JAVA_OPTS", "-XX:+UseSerialGC -Djavax.net.ssl.trustStore=" + ts
                    + " -Djavax.net.ssl.trustStorePassword=changeit -Djavax.net.ssl.trustStoreType=PKCS12");
            Launcher.Result refused = tlsCli.run("install", "--json", url);
            assertThat(refused.exit()).as(refused.show()).isEqualTo(1);
            assertThat(refused.json().path("error").path("code").asText()).isEqualTo("UNTRUSTED");
            assertNothingWritten();

            Launcher.Result r = tlsCli.run("install", "--allow-unsigned", url);
            assertThat(r.exit()).as(r.show()).isZero();
            assertThat(r.err()).contains("warning: installing an unsigned package from " + url);
            assertThat(Files.readString(home().resolve("audit.log")))
                    .contains("template.install.unsigned", url, "--allow-unsigned");
            assertThat(cli().run("audit", "verify").exit()).isZero();
            assertThat(Fixtures.lines(cli().run("versions", "demo").out())).containsExactly("1.0.0");
        } finally {
            https.stop(0);
        }
    }
}
