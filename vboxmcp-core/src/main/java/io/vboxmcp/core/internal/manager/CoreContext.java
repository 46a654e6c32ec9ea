package io.vboxmcp.core.internal.manager;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.host.LockedHostPorts;
import io.vboxmcp.core.internal.host.NoCloudSeedWriter;
import io.vboxmcp.spi.HostPorts;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SeedWriter;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** The {@link ProviderContext} core hands every provider; also core's own view of configuration. */
final class CoreContext implements ProviderContext {
    private final Path home;
    private final Map<String, String> properties;
    private final Function<String, List<TrustedKey>> trust;
    private final Map<String, SignatureVerifier> verifiers;
    private final ProgressListener progress;
    private final HostPorts hostPorts = new LockedHostPorts();
    private final SeedWriter seedWriter = new NoCloudSeedWriter();

    CoreContext(Path home, Map<String, String> properties, Function<String, List<TrustedKey>> trust,
                Map<String, SignatureVerifier> verifiers, ProgressListener progress) {
        this.home = home;
        this.properties = Map.copyOf(properties);
        this.trust = trust;
        this.verifiers = verifiers;
        this.progress = progress;
    }

    @Override
    public Path home() {
        return home;
    }

    @Override
    public Optional<String> config(String key) {
        String v = properties.get(key);
        if (v == null) {
            v = System.getProperty("vboxmcp." + key);
        }
        if (v == null) {
            v = System.getenv("VBOXMCP_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        return Optional.ofNullable(v).filter(s -> !s.isBlank());
    }

    /** @throws VboxmcpException {@link ErrorCode#INVALID_ARGUMENT} if the key is set to something not a whole number >= 1 */
    int intConfig(String key, int def) throws VboxmcpException {
        Optional<String> v = config(key);
        if (v.isEmpty()) {
            return def;
        }
        try {
            int n = Integer.parseInt(v.get().trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "configuration key '" + key
                + "' must be a whole number of at least 1, got '" + v.get() + "'");
    }

    @Override
    public Path cacheDir(String providerId) {
        Path dir = home.resolve("cache").resolve(providerId);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    @Override
    public List<TrustedKey> trustedKeys(String sourceId) {
        return trust.apply(sourceId);
    }

    @Override
    public Optional<SignatureVerifier> verifier(String format) {
        return Optional.ofNullable(verifiers.get(format));
    }

    @Override
    public ProgressListener progress() {
        return progress;
    }

    @Override
    public HostPorts hostPorts() {
        return hostPorts;
    }

    @Override
    public SeedWriter seedWriter() {
        return seedWriter;
    }
}
