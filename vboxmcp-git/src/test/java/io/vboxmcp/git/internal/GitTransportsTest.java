package io.vboxmcp.git.internal;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.git.GitKeys;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.spi.TrustedKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Private repositories over real transports on 127.0.0.1: Git over HTTP ({@code git http-backend} behind a small
 * server) with Basic credentials, and SSH (Apache MINA SSHD with its Git pack commands) with a key file and a
 * pinned host key.
 */
class GitTransportsTest {
    @TempDir
    static Path shared;
    static GitCli git;
    static Path repos;
    static String signer;

    @TempDir
    Path tmp;
    StubProviderContext context;

    @BeforeAll
    static void privateRepository() throws Exception {
        git = new GitCli(shared.resolve("home"));
        signer = git.gpgKey("Publisher <publisher@example.org>");
        Path work = git.init(shared.resolve("work"));
        GitCli.template(work, "python-dev", "python-dev", "1.0.0", "private template");
        git.commitAll(work, "c");
        git.gpgTag(work, "python-dev/v1.0.0", signer);
        repos = Files.createDirectories(shared.resolve("repos"));
        git.run(shared, "git", "clone", "-q", "--bare", work.toString(), repos.resolve("private.git").toString());
    }

    @AfterAll
    static void stop() throws Exception {
        git.close();
    }

    @BeforeEach
    void pin() throws Exception {
        context = new StubProviderContext(tmp.resolve("vboxmcp-home"));
        context.keys.add(new TrustedKey("openpgp", signer, git.gpgPublicKey(signer), "publisher"));
    }

    private TemplateSource source(String uri, Map<String, String> options) throws VboxmcpException {
        return new GitTemplateSourceFactory().create(new SourceConfig("private", URI.create(uri), 0, options), context);
    }

    private Path credentials(String content) throws Exception {
        Path f = tmp.resolve("credentials-" + Math.abs(content.hashCode()));
        Files.writeString(f, content + "\n");
        return f;
    }

    @Test
    void https_privateRepository_withBasicCredentialsFromFile() throws Exception {
        try (GitHttpServer http = new GitHttpServer(repos)) {
            http.user = "alice";
            http.password = "s3cret-pass";
            String url = http.base() + "/private.git";
            try (TemplateSource s = source(url, Map.of(GitKeys.CREDENTIALS_FILE, credentials("alice:s3cret-pass").toString()))) {
                FetchedTemplate f = s.fetch("python-dev", SemanticVersion.parse("1.0.0"), tmp.resolve("w"));
                assertThat(f.preVerifiedSigner()).isEqualTo(signer);
                assertThat(tmp.resolve("w/template-definition.yaml")).exists();
            }
            assertThat(http.authorizationHeaders).isNotEmpty();
        }
    }

    @Test
    void https_privateRepository_withTokenUsesConfiguredUserName() throws Exception {
        try (GitHttpServer http = new GitHttpServer(repos)) {
            http.user = "x-access-token";
            http.password = "ghp_token123";
            try (TemplateSource s = source(http.base() + "/private.git",
                    Map.of(GitKeys.CREDENTIALS_FILE, credentials("ghp_token123").toString()))) {
                assertThat(s.names()).containsExactly("python-dev");
            }
        }
    }

    @Test
    void https_wrongOrMissingCredentials_failWithoutLeakingTheSecret() throws Exception {
        try (GitHttpServer http = new GitHttpServer(repos)) {
            http.user = "alice";
            http.password = "right";
            String url = http.base() + "/private.git";
            try (TemplateSource s = source(url, Map.of(GitKeys.CREDENTIALS_FILE, credentials("alice:wrong-guess").toString()))) {
                assertThatThrownBy(s::names).isInstanceOf(VboxmcpException.class)
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE))
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-guess"))
                        .satisfies(e -> assertThat(s.toString()).doesNotContain("wrong-guess"));
            }
            try (TemplateSource s = source(url, Map.of())) {
                assertThatThrownBy(s::names).isInstanceOf(VboxmcpException.class)
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE));
            }
            try (TemplateSource s = source(url, Map.of(GitKeys.CREDENTIALS_ENV, "VBOXMCP_TEST_SURELY_UNSET_VARIABLE"))) {
                assertThatThrownBy(s::names).isInstanceOf(VboxmcpException.class)
                        .hasMessageContaining("VBOXMCP_TEST_SURELY_UNSET_VARIABLE");
            }
        }
    }

    @Test
    void https_credentialsAreNotSentAfterARedirectToAnotherOrigin() throws Exception {
        try (GitHttpServer origin = new GitHttpServer(repos); GitHttpServer elsewhere = new GitHttpServer(repos)) {
            origin.user = "alice";
            origin.password = "only-for-origin";
            origin.redirectTo = elsewhere.base();
            try (TemplateSource s = source(origin.base() + "/private.git",
                    Map.of(GitKeys.CREDENTIALS_FILE, credentials("alice:only-for-origin").toString()))) {
                try {
                    s.names();
                } catch (VboxmcpException refusedRedirect) {
                    // refusing the redirect is fine too; what matters is where the secret went
                }
            }
            assertThat(origin.authorizationHeaders).as("the origin asked for and got the credentials").isNotEmpty();
            assertThat(elsewhere.requests).as("the redirect was followed").isNotEmpty();
            assertThat(elsewhere.authorizationHeaders).as("another origin never receives the credentials").isEmpty();
        }
    }

    @Test
    void ssh_privateRepository_withKeyFileAndPinnedHostKey() throws Exception {
        Path clientKey = git.sshKey("client-" + System.nanoTime());
        try (GitSshServer ssh = new GitSshServer(repos, tmp.resolve("hostkey"), Path.of(clientKey + ".pub"))) {
            Path knownHosts = tmp.resolve("known_hosts");
            ssh.writeKnownHosts(knownHosts);
            Map<String, String> opts = Map.of(GitKeys.SSH_KEY_FILE, clientKey.toString(),
                    GitKeys.KNOWN_HOSTS_FILE, knownHosts.toString());
            try (TemplateSource s = source(ssh.url("private.git"), opts)) {
                FetchedTemplate f = s.fetch("python-dev", SemanticVersion.parse("1.0.0"), tmp.resolve("w"));
                assertThat(f.preVerifiedSigner()).isEqualTo(signer);
            }
        }
    }

    @Test
    void ssh_unknownHostKeyOrUnauthorizedClientKey_isRefused() throws Exception {
        Path clientKey = git.sshKey("client-" + System.nanoTime());
        Path otherKey = git.sshKey("other-" + System.nanoTime());
        try (GitSshServer ssh = new GitSshServer(repos, tmp.resolve("hostkey"), Path.of(clientKey + ".pub"))) {
            Path emptyKnownHosts = Files.writeString(tmp.resolve("empty_known_hosts"), "");
            try (TemplateSource s = source(ssh.url("private.git"), Map.of(GitKeys.SSH_KEY_FILE, clientKey.toString(),
                    GitKeys.KNOWN_HOSTS_FILE, emptyKnownHosts.toString()))) {
                assertThatThrownBy(s::names).isInstanceOf(VboxmcpException.class)
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE));
            }
            assertThat(Files.readString(emptyKnownHosts)).as("an unknown host key is never added").isEmpty();
            Path knownHosts = tmp.resolve("known_hosts");
            ssh.writeKnownHosts(knownHosts);
            try (TemplateSource s = source(ssh.url("private.git"), Map.of(GitKeys.SSH_KEY_FILE, otherKey.toString(),
                    GitKeys.KNOWN_HOSTS_FILE, knownHosts.toString()))) {
                assertThatThrownBy(s::names).isInstanceOf(VboxmcpException.class)
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE));
            }
        }
    }
}
