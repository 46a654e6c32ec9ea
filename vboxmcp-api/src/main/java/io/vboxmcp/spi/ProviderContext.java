package io.vboxmcp.spi;

import io.vboxmcp.ProgressListener;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What the manager hands every provider: its home folder, configuration values, the trust material a source
 * needs to verify what it fetches, and the host services every driver shares (host ports, cloud-init seeds), so
 * each rule has one implementation. Implemented by core; thread-safe.
 */
public interface ProviderContext {
    /** @return the manager's home folder ({@code ~/.vboxmcp} by default), never null */
    Path home();

    /**
     * @param key a documented configuration key, never null
     * @return its value from the builder, system properties ({@code vboxmcp.<key>}) or environment, in that order
     */
    Optional<String> config(String key);

    /** @return a folder the provider owns for caches ({@code <home>/cache/<providerId>}), created on demand */
    Path cacheDir(String providerId);

    /**
     * @param sourceId never null
     * @return the keys pinned for that source (and the global ones), never null
     */
    List<TrustedKey> trustedKeys(String sourceId);

    /**
     * @param format {@code openpgp} or {@code ssh}, never null
     * @return the verifier for that signature format
     */
    Optional<SignatureVerifier> verifier(String format);

    /** @return where providers report progress, never null */
    ProgressListener progress();

    /**
     * The host port allocator every driver uses for its forwards (ports locked across processes). Core's context
     * implements it; the default exists so that contexts written before it still compile (new SPI methods are
     * default methods).
     *
     * @return the allocator, never null
     * @throws UnsupportedOperationException if this context does not offer host services (not core's)
     * @since 0.2.0
     */
    default HostPorts hostPorts() {
        throw new UnsupportedOperationException(getClass().getName() + " offers no host ports; drivers need the "
                + "manager's context (or the testkit's StubProviderContext with vboxmcp-core on the class path)");
    }

    /**
     * The writer of cloud-init NoCloud seeds every driver uses. Core's context implements it; see
     * {@link #hostPorts()} for why this is a default method.
     *
     * @return the writer, never null
     * @throws UnsupportedOperationException if this context does not offer host services (not core's)
     * @since 0.2.0
     */
    default SeedWriter seedWriter() {
        throw new UnsupportedOperationException(getClass().getName() + " writes no cloud-init seeds; drivers need "
                + "the manager's context (or the testkit's StubProviderContext with vboxmcp-core on the class path)");
    }
}
