package io.vboxmcp.oci.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.oci.OciKeys;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.spi.TemplateSourceFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@code oci://host[:port]/namespace}: https, or plain http for a loopback registry (or with the source option
 * {@value OciKeys#OPTION_PLAIN_HTTP}). Credentials: the source option {@value OciKeys#OPTION_CREDENTIALS_ENV}, else
 * the Docker {@code config.json} entry for the host.
 */
public final class OciTemplateSourceFactory implements TemplateSourceFactory {
    @Override
    public String id() {
        return "oci";
    }

    @Override
    public boolean supports(URI uri) {
        return uri != null && "oci".equalsIgnoreCase(uri.getScheme());
    }

    @Override
    public TemplateSource create(SourceConfig config, ProviderContext ctx) throws VboxmcpException {
        Target t = target(config);
        OciClient client = client(config, ctx::config, t);
        Path state = ctx.cacheDir("oci").resolve(config.id());
        SignedIndexes indexes = null;
        String root = config.options().get(OciKeys.OPTION_ROOT);
        if (root != null) {
            Path rootFile = Path.of(root);
            // the bootstrap root is read and checked here, before any request to the registry (IDX-22)
            IndexTrust trust = new IndexTrust(state.resolve("index"), ctx::verifier, read(rootFile, 1 << 20),
                    signatures(rootFile), Clock.systemUTC().instant());
            indexes = new SignedIndexes(client, t.namespace(), trust, Clock.systemUTC(),
                    intKey(ctx::config, OciKeys.MAX_INDEX_KB, 16384) * 1024L,
                    Duration.ofSeconds(intKey(ctx::config, OciKeys.INDEX_REFRESH_SECONDS, 300)));
        }
        return new OciTemplateSource(config, client, t.namespace(), intKey(ctx::config, OciKeys.MAX_PACKAGE_MB, 512) * (1L << 20),
                new PinnedDigests(state.resolve("pinned-digests.json")), indexes);
    }

    static Target target(SourceConfig config) throws VboxmcpException {
        return parse(config.uri(), Boolean.parseBoolean(config.options().getOrDefault(OciKeys.OPTION_PLAIN_HTTP, "false")),
                Boolean.parseBoolean(config.options().getOrDefault(OciKeys.OPTION_TLS, "false")));
    }

    static OciClient client(SourceConfig config, Function<String, Optional<String>> ctx, Target t) throws VboxmcpException {
        Credentials creds = credentials(config, ctx, t.hostPort());
        long maxDoc = intKey(ctx, OciKeys.MAX_MANIFEST_KB, 4096) * 1024L;
        RegistryHttp http = new RegistryHttp(t.origin(), creds, Duration.ofSeconds(intKey(ctx, OciKeys.REQUEST_TIMEOUT_SECONDS, 60)),
                ssl(ctx));
        return new OciClient(http, maxDoc);
    }

    /** Where a source points. */
    record Target(Origin origin, String namespace) {
        String hostPort() {
            return origin.host() + ":" + origin.port();
        }
    }

    static Target parse(URI uri, boolean plainHttp, boolean tls) throws VboxmcpException {
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + OciClient.printable(uri.toString())
                    + "' is not oci://HOST[:PORT]/NAMESPACE (no user, query or fragment)");
        }
        String ns = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("^/+|/+$", "");
        OciClient.checkRepository(ns);
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        Origin probe = new Origin("http", host, 0);
        String scheme = (probe.loopback() && !tls) || plainHttp ? "http" : "https";
        int port = uri.getPort() != -1 ? uri.getPort() : "https".equals(scheme) ? 443 : 80;
        return new Target(new Origin(scheme, host, port), ns);
    }

    private static Credentials credentials(SourceConfig config, Function<String, Optional<String>> ctx, String hostPort)
            throws VboxmcpException {
        String env = config.options().get(OciKeys.OPTION_CREDENTIALS_ENV);
        if (env != null) {
            String v = System.getenv(env);
            if (v == null || v.isEmpty()) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "source '" + config.id()
                        + "' reads credentials from $" + env + ", which is not set");
            }
            return Credentials.parse(v);
        }
        Optional<String> configured = ctx.apply(OciKeys.DOCKER_CONFIG);
        Path file;
        if (configured.isPresent()) {
            file = Path.of(configured.get());
        } else if (System.getenv("DOCKER_CONFIG") != null) {
            file = Path.of(System.getenv("DOCKER_CONFIG"), "config.json");
        } else {
            file = Path.of(System.getProperty("user.home"), ".docker", "config.json");
        }
        return Credentials.fromDockerConfig(file, hostPort).orElse(null);
    }

    private static SSLContext ssl(Function<String, Optional<String>> ctx) throws VboxmcpException {
        Optional<String> ca = ctx.apply(OciKeys.CA_FILE);
        if (ca.isEmpty()) {
            return null;
        }
        try (InputStream in = Files.newInputStream(Path.of(ca.get()))) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext s = SSLContext.getInstance("TLS");
            s.init(null, tmf.getTrustManagers(), null);
            return s;
        } catch (IOException | GeneralSecurityException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot read CA file " + ca.get() + " ("
                    + OciKeys.CA_FILE + "): " + e.getMessage(), e);
        }
    }

    static List<DetachedSignature> signatures(Path document) throws VboxmcpException {
        List<DetachedSignature> out = new ArrayList<>();
        Path ssh = document.resolveSibling(document.getFileName() + ".sig");
        if (Files.isRegularFile(ssh)) {
            out.addAll(splitSsh(read(ssh, 1 << 20), ssh.getFileName().toString()));
        }
        Path asc = document.resolveSibling(document.getFileName() + ".asc");
        if (Files.isRegularFile(asc)) {
            out.add(new DetachedSignature("openpgp", read(asc, 1 << 20), asc.getFileName().toString()));
        }
        return out;
    }

    /** Several signers' SSH signature files concatenated: one signature per armored block. */
    static List<DetachedSignature> splitSsh(byte[] file, String name) {
        List<DetachedSignature> out = new ArrayList<>();
        for (String block : new String(file, StandardCharsets.US_ASCII).split("(?<=-----END SSH SIGNATURE-----)")) {
            if (block.contains("-----BEGIN SSH SIGNATURE-----")) {
                out.add(new DetachedSignature("ssh", block.strip().concat("\n").getBytes(StandardCharsets.US_ASCII), name));
            }
        }
        return out;
    }

    static byte[] read(Path p, int max) throws VboxmcpException {
        try {
            if (Files.size(p) > max) {
                throw new VboxmcpException(ErrorCode.RESOURCE_LIMIT, p + " is over " + max + " bytes");
            }
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    static int intKey(Function<String, Optional<String>> ctx, String key, int def) throws VboxmcpException {
        Optional<String> v = ctx.apply(key);
        if (v.isEmpty()) {
            return def;
        }
        try {
            int i = Integer.parseInt(v.get().trim());
            if (i < 1) {
                throw new NumberFormatException();
            }
            return i;
        } catch (NumberFormatException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, key + " must be a positive integer, got '"
                    + OciClient.printable(v.get()) + "'");
        }
    }
}
