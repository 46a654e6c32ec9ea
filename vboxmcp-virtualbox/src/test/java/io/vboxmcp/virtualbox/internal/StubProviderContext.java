package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.ProgressEvent;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A provider context with a fixed home and configuration map; records progress events. */
public final class StubProviderContext implements ProviderContext {
    private final Path home;
    private final Map<String, String> config;
    public final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

    public StubProviderContext(Path home, Map<String, String> config) {
        this.home = home;
        this.config = Map.copyOf(config);
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
        return List.of();
    }

    @Override
    public Optional<SignatureVerifier> verifier(String format) {
        return Optional.empty();
    }

    @Override
    public ProgressListener progress() {
        return events::add;
    }
}
