package io.vboxmcp;

import io.vboxmcp.spi.HypervisorDriverFactory;
import io.vboxmcp.spi.SignatureVerifierFactory;
import io.vboxmcp.spi.TemplateSourceFactory;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The immutable settings a {@link VmManager.Builder} collected; handed to the implementation.
 *
 * @param home                  the manager's home folder, never null
 * @param sources               template sources consulted in order after the local repository, never null
 * @param drivers               explicitly registered driver factories (win over discovered ones), never null
 * @param sourceFactories       explicitly registered source factories, never null
 * @param verifierFactories     explicitly registered signature verifier factories, never null
 * @param discoverProviders     whether to add providers found by {@link java.util.ServiceLoader}
 * @param defaultDriver         driver id to use when a request names none; null for the best available
 * @param resourcePolicy        never null
 * @param trustPolicy           never null
 * @param sharedFolderRoots     host folders under which shared folders are allowed; empty refuses every shared folder
 * @param progress              receives progress of every operation, never null
 * @param properties            configuration keys (see {@code CoreKeys} and each driver's keys), never null
 * @param packageMirrors        where guests fetch packages from ({@link PackageMirrors#NONE} for their defaults), never null
 *
 * @since 0.2.0
 */
public record VmManagerConfig(Path home, List<SourceConfig> sources, List<HypervisorDriverFactory> drivers,
                              List<TemplateSourceFactory> sourceFactories,
                              List<SignatureVerifierFactory> verifierFactories, boolean discoverProviders,
                              String defaultDriver, ResourcePolicy resourcePolicy, TrustPolicy trustPolicy,
                              List<Path> sharedFolderRoots, ProgressListener progress, Map<String, String> properties,
                              PackageMirrors packageMirrors) {
    /**
     * Checks the components and copies the collections.
     *
     * @param home                  the manager's home folder, never null
     * @param sources               template sources consulted in order after the local repository, never null
     * @param drivers               explicitly registered driver factories (win over discovered ones), never null
     * @param sourceFactories       explicitly registered source factories, never null
     * @param verifierFactories     explicitly registered signature verifier factories, never null
     * @param discoverProviders     whether to add providers found by {@link java.util.ServiceLoader}
     * @param defaultDriver         driver id to use when a request names none; null for the best available
     * @param resourcePolicy        never null
     * @param trustPolicy           never null
     * @param sharedFolderRoots     host folders under which shared folders are allowed; empty refuses every shared folder
     * @param progress              receives progress of every operation, never null
     * @param properties            configuration keys (see {@code CoreKeys} and each driver's keys), never null
     * @param packageMirrors        where guests fetch packages from ({@link PackageMirrors#NONE} for their defaults), never null
     */
    public VmManagerConfig {
        Objects.requireNonNull(home, "home");
        sources = List.copyOf(sources);
        drivers = List.copyOf(drivers);
        sourceFactories = List.copyOf(sourceFactories);
        verifierFactories = List.copyOf(verifierFactories);
        Objects.requireNonNull(resourcePolicy, "resourcePolicy");
        Objects.requireNonNull(trustPolicy, "trustPolicy");
        sharedFolderRoots = List.copyOf(sharedFolderRoots);
        Objects.requireNonNull(progress, "progress");
        properties = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(properties));
        Objects.requireNonNull(packageMirrors, "packageMirrors");
    }

}
