package io.vboxmcp.git.internal;

import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.SignatureVerifierFactory;
import io.vboxmcp.spi.TrustedKey;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A provider context for tests: a home folder, pinned keys set by the test, core's real signature verifiers
 * (found through {@link ServiceLoader}, as the manager finds them) and a recording progress listener.
 */
final class StubProviderContext implements ProviderContext {
    final Path home;
    final Map<String, String> config = new HashMap<>();
    final List<TrustedKey> keys = new CopyOnWriteArrayList<>();
    final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    StubProviderContext(Path home) {
        this.home = home;
    }

    @Override
    public Path home() {
        return home;
    }

    @Override
    public Optional<String> config(String key) {
        return Optional.ofNullable(config.get(key));
    }

    @Override
    public Path cacheDir(String providerId) {
        try {
            return Files.createDirectories(home.resolve("cache").resolve(providerId));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public List<TrustedKey> trustedKeys(String sourceId) {
        return List.copyOf(keys);
    }

    @Override
    public Optional<SignatureVerifier> verifier(String format) {
        for (SignatureVerifierFactory f : ServiceLoader.load(SignatureVerifierFactory.class)) {
            if (f.format().equals(format)) {
                try {
                    return Optional.of(f.create(this));
                } catch (VboxmcpException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return Optional.empty();
    }

    @Override
    public ProgressListener progress() {
        return events::add;
    }

    List<String> infoMessages() {
        return events.stream().filter(e -> e.kind() == ProgressEvent.Kind.INFO).map(ProgressEvent::message).toList();
    }
}
