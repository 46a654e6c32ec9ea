package io.vboxmcp.testkit.http;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real CNCF distribution registry (Debian package {@code docker-registry}, 2.8) as a plain process on
 * 127.0.0.1: a random port, storage in a temp folder, optionally htpasswd basic auth. Stopped and deleted by close.
 */
public final class DistributionRegistry implements AutoCloseable {
    public static final String BINARY = "/usr/bin/docker-registry";
    private final Path dir;
    private final int port;
    private final Process process;

    private DistributionRegistry(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** @return whether the {@code docker-registry} package is installed (scripts/install-deps.sh) */
    public static boolean available() {
        return Files.isExecutable(Path.of(BINARY));
    }

    /** @param user null for no auth, else the htpasswd user (bcrypt, made by the real {@code htpasswd}) */
    public static DistributionRegistry start(String user, String password) throws IOException, InterruptedException {
        return start(user, password, false);
    }

    /**
     * @param tls whether to serve https with a certificate for 127.0.0.1 from a fresh test CA ({@link #caFile()}),
     *            both made by the real {@code openssl}
     */
    public static DistributionRegistry start(String user, String password, boolean tls) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("vboxmcp-registry-");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        StringBuilder cfg = new StringBuilder("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                + "storage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data") + "\n  delete:\n    enabled: true\n"
                + "http:\n  addr: 127.0.0.1:" + port + "\n  secret: vboxmcp-test\n");
        if (user != null) {
            Process h = new ProcessBuilder("htpasswd", "-Bbn", user, password).redirectErrorStream(true).start();
            byte[] line = h.getInputStream().readAllBytes();
            if (h.waitFor() != 0) {
                throw new IOException("htpasswd failed: " + new String(line, StandardCharsets.UTF_8));
            }
            Files.write(dir.resolve("htpasswd"), line);
            cfg.append("auth:\n  htpasswd:\n    realm: vboxmcp-test\n    path: ").append(dir.resolve("htpasswd")).append('\n');
        }
        if (tls) {
            Path d = dir;
            run(d, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=vboxmcp test CA");
            run(d, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
            Files.writeString(d.resolve("ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n");
            run(d, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext");
            cfg.append("  tls:\n    certificate: ").append(d.resolve("server.pem")).append("\n    key: ")
                    .append(d.resolve("server.key")).append('\n');
        }
        Files.writeString(dir.resolve("config.yml"), cfg);
        Process p = new ProcessBuilder(BINARY, "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        DistributionRegistry r = new DistributionRegistry(dir, port, p);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (java.net.Socket probe = new java.net.Socket()) {
                probe.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
                return r;
            } catch (IOException notYet) {
                // the registry is starting
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String log = Files.exists(dir.resolve("registry.log")) ? Files.readString(dir.resolve("registry.log")) : "";
                r.close();
                throw new IOException("docker-registry did not start: " + log);
            }
            Thread.onSpinWait();
            TimeUnit.MILLISECONDS.sleep(50);  // polling the port, not waiting for a result
        }
    }

    /** @return the port on 127.0.0.1 */
    public int port() {
        return port;
    }

    /** @return the test CA certificate (PEM) of a TLS registry */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    public String http() {
        return "http://127.0.0.1:" + port;
    }

    /** @return {@code oci://127.0.0.1:PORT/namespace} */
    public URI oci(String namespace) {
        return URI.create("oci://127.0.0.1:" + port + "/" + namespace);
    }

    private static void run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
