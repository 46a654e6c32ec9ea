package io.vboxmcp.git.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.git.GitKeys;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.SshSessionFactory;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * How the mirror talks to the origin: the checked remote URI (no password in it, plain http only to this machine),
 * HTTP credentials bound to that origin, and an SSH session factory that reads nothing from {@code ~/.ssh} (only
 * the configured key and known-hosts file).
 */
final class GitTransport implements AutoCloseable {
    private final URIish remoteUri;
    private final GitOptions options;
    private final Path sshHome;
    private SshdSessionFactory sshFactory;

    private GitTransport(URIish remoteUri, GitOptions options, Path sshHome) {
        this.remoteUri = remoteUri;
        this.options = options;
        this.sshHome = sshHome;
    }

    /** Refuses a URI with a password in it: secrets belong in the environment or a file, never in configuration. */
    static void refusePassword(SourceConfig config) throws VboxmcpException {
        URI uri = config.uri();
        if (uri.getRawUserInfo() != null && uri.getRawUserInfo().contains(":")) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "git source '" + config.id()
                    + "': the URI carries a password; give credentials with " + GitKeys.CREDENTIALS_ENV + " or "
                    + GitKeys.CREDENTIALS_FILE + " instead");
        }
    }

    /** @return the remote URI of a source: an absolute path for a local repository, else the URI as given */
    static URIish remoteUri(SourceConfig config, GitOptions options, boolean local) throws VboxmcpException {
        URI uri = config.uri();
        String scheme = uri.getScheme() == null ? "file" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("http") && !options.allowInsecureHttp() && !isLoopback(uri.getHost())) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "git source '" + config.id()
                    + "': plain http is only allowed to this machine; use https or set " + GitKeys.ALLOW_INSECURE_HTTP);
        }
        try {
            if (local) {
                Path p = Path.of(uri.getScheme() == null ? uri.getPath() : Path.of(uri).toString()).toAbsolutePath().normalize();
                return new URIish(p.toString());
            }
            return new URIish(uri.toString());
        } catch (URISyntaxException | RuntimeException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "git source '" + config.id() + "': not a usable Git URI: "
                    + e.getMessage(), e);
        }
    }

    /** @param sshHome the private home folder of the SSH client (its {@code .ssh} is created on first use) */
    static GitTransport of(URIish remoteUri, GitOptions options, Path sshHome) {
        return new GitTransport(remoteUri, options, sshHome);
    }

    private static boolean isLoopback(String host) {
        if (host == null) return false;
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]") || h.equals("::1");
    }

    /** @return credentials for https/http origins only, read on every call (a rotated token takes effect) */
    CredentialsProvider credentials() {
        String scheme = remoteUri.getScheme() == null ? "" : remoteUri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            return OriginBoundCredentials.none();
        }
        String secret = null;
        try {
            if (options.credentialsEnv() != null) {
                secret = System.getenv(options.credentialsEnv());
                if (secret == null || secret.isBlank()) {
                    throw new IllegalStateException("environment variable " + options.credentialsEnv() + " named by "
                            + GitKeys.CREDENTIALS_ENV + " is not set");
                }
            } else if (options.credentialsFile() != null) {
                List<String> lines = Files.readAllLines(options.credentialsFile(), StandardCharsets.UTF_8);
                secret = lines.isEmpty() ? null : lines.get(0).trim();
                if (secret == null || secret.isEmpty()) {
                    throw new IllegalStateException("credentials file " + options.credentialsFile() + " is empty");
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not read credentials file " + options.credentialsFile() + ": "
                    + e.getClass().getSimpleName(), e);
        }
        return secret == null ? OriginBoundCredentials.none()
                : OriginBoundCredentials.forOrigin(remoteUri, secret.trim(), options.username());
    }

    synchronized SshSessionFactory sshFactory() {
        if (sshFactory == null) {
            try {
                Files.createDirectories(sshHome.resolve(".ssh"));
            } catch (IOException e) {
                throw new IllegalStateException("could not create " + sshHome + ": " + e.getMessage(), e);
            }
            Path key = options.sshKeyFile();
            Path knownHosts = options.knownHostsFile();
            sshFactory = new SshdSessionFactoryBuilder()
                    .setHomeDirectory(sshHome.toFile())
                    .setSshDirectory(sshHome.resolve(".ssh").toFile())
                    .setConfigFile(d -> null)
                    .setDefaultIdentities(d -> key == null ? List.of() : List.of(key))
                    .setDefaultKnownHostsFiles(d -> List.of(knownHosts))
                    .setPreferredAuthentications("publickey")
                    .build(null);
        }
        return sshFactory;
    }

    @Override
    public synchronized void close() {
        if (sshFactory != null) {
            sshFactory.close();
        }
    }
}
