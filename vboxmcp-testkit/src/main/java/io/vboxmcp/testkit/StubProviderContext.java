package io.vboxmcp.testkit;

import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.HostPorts;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SeedWriter;
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
 * keys the test sets, the signature verifiers and host services ({@link HostPorts}, {@link SeedWriter}) on the class
 * path (found through {@link ServiceLoader}: core's, the same the manager hands drivers, so a driver test needs
 * {@code vboxmcp-core} as a test dependency), and a recording progress listener. Thread-safe.
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

    @Override
    public HostPorts hostPorts() {
        return service(HostPorts.class);
    }

    @Override
    public SeedWriter seedWriter() {
        return service(SeedWriter.class);
    }

    private static <T> T service(Class<T> type) {
        return ServiceLoader.load(type).findFirst().orElseThrow(() -> new IllegalStateException("no "
                + type.getSimpleName() + " on the class path: add vboxmcp-core as a test dependency"));
    }

    /** @return the messages of the INFO events so far */
    public List<String> infoMessages() {
        return events.stream().filter(e -> e.kind() == ProgressEvent.Kind.INFO).map(ProgressEvent::message).toList();
    }
}
