package io.vboxmcp.testkit;

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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link ProviderContext} for provider tests that run without a manager: a home folder, configuration and pinned
 * keys the test sets, the signature verifiers on the class path (found through {@link ServiceLoader}, as the
 * manager finds them), and a recording progress listener. Thread-safe.
 *
 * @since 0.2.0
 */
public final class StubProviderContext implements ProviderContext {
    private final Path home;
    /** Configuration values; tests may add to it. */
    public final Map<String, String> config = new ConcurrentHashMap<>();
    /** Keys returned for every source; tests may add to it. */
    public final List<TrustedKey> keys = new CopyOnWriteArrayList<>();
    /** Every progress event reported so far. */
    public final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    /** @param home never null */
    public StubProviderContext(Path home) {
        this(home, Map.of());
    }

    /**
     * @param home   never null
     * @param config initial configuration, never null
     */
    public StubProviderContext(Path home, Map<String, String> config) {
        this.home = home;
        this.config.putAll(config);
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

    /** @return the messages of the INFO events so far */
    public List<String> infoMessages() {
        return events.stream().filter(e -> e.kind() == ProgressEvent.Kind.INFO).map(ProgressEvent::message).toList();
    }
}
