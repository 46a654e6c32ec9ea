package io.vboxmcp.qemu;

import io.vboxmcp.ProgressListener;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A provider context with fixed configuration values, for driver tests that run without a manager. */
public record StubProviderContext(Path home, Map<String, String> values) implements ProviderContext {
    @Override
    public Optional<String> config(String key) {
        return Optional.ofNullable(values.get(key));
    }

    @Override
    public Path cacheDir(String providerId) {
        return home.resolve("cache").resolve(providerId);
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
        return ProgressListener.NONE;
    }
}
