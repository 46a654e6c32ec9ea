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
     * @return the host port allocator every driver uses for its forwards (ports locked across processes), never null
     */
    HostPorts hostPorts();

    /** @return the writer of cloud-init NoCloud seeds every driver uses, never null */
    SeedWriter seedWriter();
}
