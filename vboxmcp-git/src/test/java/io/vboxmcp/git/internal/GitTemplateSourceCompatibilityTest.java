package io.vboxmcp.git.internal;

import io.vboxmcp.SourceConfig;
import io.vboxmcp.git.GitKeys;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.spi.TrustedKey;
import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.testkit.TemplateSourceCompatibilityKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Git source against the template-source kit: versions are OpenPGP-signed annotated tags
 * ({@code <name>/vX.Y.Z}, one folder per template) made by the real {@code git} and {@code gpg}, served over the
 * real {@code git daemon} on 127.0.0.1; offline means the daemon's repository is gone and the source serves its
 * mirror ({@link GitKeys#GLOBAL_OFFLINE}).
 */
class GitTemplateSourceCompatibilityTest extends TemplateSourceCompatibilityKit {
    @TempDir
    static Path shared;
    static GitCli git;
    static GitDaemon daemon;
    static Path repos;
    static String signer;
    private Path repo;
    private String repoName;

    @BeforeAll
    static void keysAndServer() throws Exception {
        git = new GitCli(shared.resolve("home"));
        signer = git.gpgKey("Kit Publisher <kit@example.org>");
        repos = Files.createDirectories(shared.resolve("repos"));
        daemon = new GitDaemon(repos);
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
        git.close();
    }

    private Path repo() throws Exception {
        if (repo == null) {
            repoName = work.getFileName().toString();
            repo = git.init(repos.resolve(repoName));
        }
        return repo;
    }

    @Override
    protected void publish(String name, String version, Map<String, String> files) throws Exception {
        Path dir = repo().resolve(name);
        GitCli.delete(dir);
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path f = dir.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
        }
        git.commitAll(repo, name + " " + version);
        git.gpgTag(repo, name + "/v" + version, signer);
    }

    @Override
    protected StubProviderContext providerContext() {
        StubProviderContext context = super.providerContext();
        try {
            context.keys.add(new TrustedKey("openpgp", signer, git.gpgPublicKey(signer), "kit publisher"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return context;
    }

    @Override
    protected TemplateSource createSource(ProviderContext context) throws Exception {
        return new GitTemplateSourceFactory().create(new SourceConfig(sourceId(), URI.create(daemon.url(repoName())), 0,
                Map.of()), context);
    }

    private String repoName() throws Exception {
        repo();
        return repoName;
    }

    @Override
    protected void goOffline(StubProviderContext context) throws Exception {
        GitCli.delete(repo());
        context.config.put(GitKeys.GLOBAL_OFFLINE, "true");
    }
}
