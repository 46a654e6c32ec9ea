package io.vboxmcp.git.internal;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.git.GitLocationResolver;
import org.apache.sshd.git.pack.GitPackCommandFactory;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;

/**
 * An SSH server on 127.0.0.1 (Apache MINA SSHD) that serves Git repositories below a folder through its Git pack
 * command factory, and accepts exactly one public key.
 */
final class GitSshServer implements AutoCloseable {
    private final SshServer sshd;
    final int port;

    GitSshServer(Path root, Path hostKeyFile, Path authorizedPublicKey) throws IOException, java.security.GeneralSecurityException {
        PublicKey allowed = PublicKeyEntry.parsePublicKeyEntry(Files.readString(authorizedPublicKey).trim())
                .resolvePublicKey(null, null, null);
        sshd = SshServer.setUpDefaultServer();
        sshd.setHost("127.0.0.1");
        sshd.setPort(0);
        SimpleGeneratorHostKeyProvider hostKeys = new SimpleGeneratorHostKeyProvider(hostKeyFile);
        hostKeys.setAlgorithm(KeyUtils.EC_ALGORITHM);
        sshd.setKeyPairProvider(hostKeys);
        sshd.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(allowed, key));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setCommandFactory(new GitPackCommandFactory(GitLocationResolver.constantPath(root)));
        sshd.start();
        port = sshd.getPort();
    }

    /** @return a known_hosts line for this server's host key */
    String knownHostsLine() throws IOException {
        try {
            KeyPair kp = sshd.getKeyPairProvider().loadKeys(null).iterator().next();
            StringBuilder b = new StringBuilder("[127.0.0.1]:" + port + " ");
            PublicKeyEntry.appendPublicKeyEntry(b, kp.getPublic());
            return b.toString();
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    String url(String repo) {
        return "ssh://git@127.0.0.1:" + port + "/" + repo;
    }

    void writeKnownHosts(Path file) throws IOException {
        Files.writeString(file, knownHostsLine() + "\n", StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        sshd.stop(true);
    }
}
