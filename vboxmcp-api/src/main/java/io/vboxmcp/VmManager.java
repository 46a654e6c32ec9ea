package io.vboxmcp;

import io.vboxmcp.spi.HypervisorDriverFactory;
import io.vboxmcp.spi.SignatureVerifierFactory;
import io.vboxmcp.spi.TemplateSourceFactory;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.template.TemplateRepository;
import java.net.URI;
import java.nio.file.Path;
import java.util.*;

/**
 * The one entry point: turns a versioned, signed template into a running, provisioned VM.
 *
 * <pre>{@code
 * try (VmManager manager = VmManager.builder().build()) {
 *     Vm vm = manager.createFromTemplate("my-python-dev", "python-dev", "1.0.0",
 *             Map.of("memory", 4096, "cpus", 4, "disk_size", 50000));
 * }
 * }</pre>
 *
 * Immutable and thread-safe once built. {@link #close()} releases connections but leaves VMs running.
 *
 * @since 0.2.0
 */
public interface VmManager extends AutoCloseable {
    /**
     * Creates and provisions a VM: resolve, fetch, verify, load, plan, create, start, wait for the guest, provision.
     * On any failure every step already done is undone in reverse order and nothing is left behind.
     *
     * @param name       the new VM's name ({@link TemplateRef#NAME_PATTERN}), never null
     * @param template   template name, never null
     * @param version    version or range ({@code 1.0.0}, {@code ^1.0}); null for the highest release
     * @param parameters {@code memory} (MB), {@code cpus}, {@code disk_size} (MB); null for template minimums
     * @return the running VM, never null
     * @throws TemplateNotFoundException      if no source has a matching template version
     * @throws TemplateValidationException    if the template is invalid
     * @throws SignatureVerificationException if the trust policy refuses the template
     * @throws ResourceLimitException         if a parameter is below a template minimum or above a policy maximum
     * @throws VmStateException               if a VM of that name exists or is being created
     * @throws HypervisorException            if the hypervisor failed
     * @throws ProvisioningException          if a package install or script failed
     * @throws VboxmcpException               for other failures; {@link VboxmcpException#step()} names the step
     */
    default Vm createFromTemplate(String name, String template, String version, Map<String, ?> parameters)
            throws VboxmcpException {
        return createFromTemplate(CreateVmRequest.fromParameters(name, TemplateRef.of(template, version), parameters));
    }

    /**
     * The typed form of {@link #createFromTemplate(String, String, String, Map)}.
     *
     * @param request never null
     * @return the running VM, never null
     * @throws VboxmcpException naming the failed step ({@link VboxmcpException#step()}); every step already done is undone
     */
    Vm createFromTemplate(CreateVmRequest request) throws VboxmcpException;

    /**
     * Resolves, verifies and loads the template and computes the plan, without creating anything (a dry run).
     *
     * @param request never null
     * @return the plan, never null
     * @throws VboxmcpException if the template cannot be resolved, verified or loaded, or the plan breaks a limit
     */
    VmPlan plan(CreateVmRequest request) throws VboxmcpException;

    /**
     * Resolves, fetches, verifies, loads and composes a template without planning or creating anything: the definition
     * a create of {@code ref} would use, so a caller can choose the request's options (host paths for its shares).
     *
     * @param ref never null
     * @return the composed definition (bases and features applied), never null
     * @throws VboxmcpException if the template cannot be resolved, verified or loaded
     * @throws UnsupportedOperationException from managers that cannot (the default)
     * @since 0.3.0
     */
    default TemplateDefinition definition(TemplateRef ref) throws VboxmcpException {
        throw new UnsupportedOperationException("this VmManager cannot load a template definition without a plan");
    }

    /**
     * Resolves the bases and features of a template folder through the sources, verifies each, and writes
     * {@code vboxmcp.lock} into the folder: one entry per resolved template (name, version, source, manifest digest,
     * signer) and the base image's digest, in a stable order (docs/lockfiles.md).
     *
     * @param templateFolder a template folder, never null
     * @param update         false keeps the versions of an existing lockfile where they still match (adding what is
     *                       missing, dropping what is extra); true resolves everything afresh (the newest versions)
     * @return the file written and how it changed, never null
     * @throws TemplateValidationException if the template, a base or the composed result is invalid
     * @throws VboxmcpException            with {@link ErrorCode#CONFLICT} for a version conflict or a cycle
     */
    LockResult lock(Path templateFolder, boolean update) throws VboxmcpException;

    /**
     * Validates a template folder or {@code template-definition.yaml} file.
     *
     * @param path never null
     * @return the definition if valid, never null
     * @throws TemplateValidationException listing every problem with file, line and column
     */
    TemplateDefinition validate(Path path) throws VboxmcpException;

    /**
     * @param ref never null
     * @return the source and exact version that {@code ref} resolves to, never null
     * @throws TemplateNotFoundException naming the versions that exist
     */
    ResolvedTemplate resolve(TemplateRef ref) throws VboxmcpException;

    /**
     * @param query words matched against names, descriptions and tags (each must match), {@code tag:T},
     *              {@code author:A}, {@code version:RANGE} or {@code NAME@RANGE}; blank lists everything
     * @return matching template versions from every source (a source with a signed index answers from its trusted
     *         copy), ranked: exact name, then a tag, then the name, then text; never null
     * @throws VersionFormatException if a range in the query does not parse
     */
    List<TemplateInfo> search(String query) throws VboxmcpException;

    /** @return the local repository, never null */
    TemplateRepository templates();

    /**
     * @param name never null
     * @return the VM of that name created by a manager with the same home, if it exists
     * @throws VboxmcpException if the VM's state cannot be read
     */
    Optional<Vm> vm(String name) throws VboxmcpException;

    /**
     * @return every VM under this manager's home, never null
     * @throws VboxmcpException if the VMs' state cannot be read
     */
    List<Vm> vms() throws VboxmcpException;

    /** @return the audit log, never null */
    AuditLog audit();

    /** @return the pinned keys under {@code <home>/trust}, never null */
    io.vboxmcp.trust.TrustStore trust();

    /** @return manifest, pack, sign and verify for template authors, never null */
    io.vboxmcp.trust.TemplatePublisher publisher();

    /** @return the base images the image catalogs list and their verified cached files, never null */
    io.vboxmcp.image.ImageCache images();

    /**
     * @return the ready snapshots this manager's creates saved ({@link SnapshotPolicy}), to list and prune them
     * @throws UnsupportedOperationException from managers that keep none (the default)
     */
    default io.vboxmcp.image.ReadySnapshotCache readySnapshots() {
        throw new UnsupportedOperationException("this VmManager keeps no ready snapshots");
    }

    /**
     * @return the template sources in the order they are consulted: the local repository first, then those given to
     *         the builder, then those persisted in {@code <home>/sources.json}; never null
     */
    List<SourceConfig> sources();

    /** @return providers that were found but could not be used, never null */
    List<ProviderProblem> providerProblems();

    /** Releases connections and threads; VMs keep running. Idempotent. */
    @Override
    void close();

    /** @return a builder with defaults: home {@code $VBOXMCP_HOME} or {@code ~/.vboxmcp}, discovery on */
    static Builder builder() {
        return new Builder();
    }

    /**
     * Where a template reference resolved.
     *
     * @param name      never null
     * @param version   never null
     * @param sourceId  never null
     */
    record ResolvedTemplate(String name, SemanticVersion version, String sourceId) {
        /**
         * Checks that no component is null.
         *
         * @param name      never null
         * @param version   never null
         * @param sourceId  never null
         */
        public ResolvedTemplate {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(sourceId, "sourceId");
        }
    }

    /** Collects settings and builds a {@link VmManager}. Not thread-safe. */
    final class Builder {
        private Path home;
        private final List<SourceConfig> sources = new ArrayList<>();
        private final List<HypervisorDriverFactory> drivers = new ArrayList<>();
        private final List<TemplateSourceFactory> sourceFactories = new ArrayList<>();
        private final List<SignatureVerifierFactory> verifierFactories = new ArrayList<>();
        private boolean discover = true;
        private String defaultDriver;
        private ResourcePolicy resourcePolicy = ResourcePolicy.hostLimits();
        private TrustPolicy trustPolicy = TrustPolicy.defaults();
        private final List<Path> sharedFolderRoots = new ArrayList<>();
        private ProgressListener progress = ProgressListener.NONE;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private PackageMirrors packageMirrors = PackageMirrors.NONE;

        private Builder() {
        }

        /**
         * Uses {@code dir} instead of {@code $VBOXMCP_HOME} or {@code ~/.vboxmcp}.
         *
         * @param dir the manager's home folder, never null
         * @return this builder
         */
        public Builder home(Path dir) {
            this.home = Objects.requireNonNull(dir, "dir");
            return this;
        }

        /**
         * Adds a template source consulted after the local repository, in the order added.
         *
         * @param id the source's id (its trust store and mirror are named after it), never null
         * @param uri where the source lives, never null
         * @return this builder
         */
        public Builder addSource(String id, URI uri) {
            return addSource(new SourceConfig(id, uri, sources.size(), Map.of()));
        }

        /**
         * Adds a template source consulted after the local repository, in the order added.
         *
         * @param source the source, never null
         * @return this builder
         */
        public Builder addSource(SourceConfig source) {
            sources.add(Objects.requireNonNull(source, "source"));
            return this;
        }

        /**
         * Registers a driver factory; explicitly registered providers win over discovered ones with the same id.
         *
         * @param factory the factory, never null
         * @return this builder
         */
        public Builder addDriver(HypervisorDriverFactory factory) {
            drivers.add(Objects.requireNonNull(factory, "factory"));
            return this;
        }

        /**
         * Registers a template source factory; explicitly registered providers win over discovered ones.
         *
         * @param factory the factory, never null
         * @return this builder
         */
        public Builder addSourceFactory(TemplateSourceFactory factory) {
            sourceFactories.add(Objects.requireNonNull(factory, "factory"));
            return this;
        }

        /**
         * Registers a signature verifier factory; explicitly registered providers win over discovered ones.
         *
         * @param factory the factory, never null
         * @return this builder
         */
        public Builder addVerifierFactory(SignatureVerifierFactory factory) {
            verifierFactories.add(Objects.requireNonNull(factory, "factory"));
            return this;
        }

        /**
         * Whether to discover providers with {@link ServiceLoader} (default true).
         *
         * @param on whether to add the providers {@link ServiceLoader} finds
         * @return this builder
         */
        public Builder discoverProviders(boolean on) {
            this.discover = on;
            return this;
        }

        /**
         * The driver used when a request names none; default: the available one with the highest priority.
         *
         * @param id a driver id, for example {@code qemu}
         * @return this builder
         */
        public Builder defaultDriver(String id) {
            this.defaultDriver = id;
            return this;
        }

        /**
         * Sets the limits and defaults of every VM this manager creates; default {@link ResourcePolicy#hostLimits()}.
         *
         * @param policy the policy, never null
         * @return this builder
         */
        public Builder resourcePolicy(ResourcePolicy policy) {
            this.resourcePolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Sets which sources must be signed and by how many pinned keys; default {@link TrustPolicy#defaults()}.
         *
         * @param policy the policy, never null
         * @return this builder
         */
        public Builder trustPolicy(TrustPolicy policy) {
            this.trustPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Allows shared folders under {@code root} (shared folders elsewhere are refused before anything starts).
         *
         * @param root a host folder shared folders may lie under, never null
         * @return this builder
         */
        public Builder allowSharedFolderRoot(Path root) {
            sharedFolderRoots.add(Objects.requireNonNull(root, "root"));
            return this;
        }

        /**
         * Sets the listener of every create's progress; default {@link ProgressListener#NONE}.
         *
         * @param listener the listener, never null
         * @return this builder
         */
        public Builder progress(ProgressListener listener) {
            this.progress = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Sets a configuration key (see {@code CoreKeys} and the drivers' keys classes).
         *
         * @param key a documented configuration key, never null
         * @param value its value, never null
         * @return this builder
         */
        public Builder property(String key, String value) {
            properties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Points every guest's apt, pip and npm at the given mirrors (private or air-gapped networks); default
         * {@link PackageMirrors#NONE}: guests use their own sources.
         * @param mirrors the mirrors, never null
         * @return this builder
         */
        public Builder packageMirrors(PackageMirrors mirrors) {
            this.packageMirrors = Objects.requireNonNull(mirrors, "mirrors");
            return this;
        }

        /** @return the settings as they stand, never null */
        public VmManagerConfig config() {
            return new VmManagerConfig(VmManagerDefaults.home(home), sources, drivers, sourceFactories,
                    verifierFactories, discover, defaultDriver, resourcePolicy, trustPolicy, sharedFolderRoots, progress,
                    properties, packageMirrors);
        }

        /**
         * @return a new manager from the implementation on the class path ({@code vboxmcp-core}), never null
         * @throws VboxmcpException with {@link ErrorCode#INTERNAL} if no implementation is on the class path
         */
        public VmManager build() throws VboxmcpException {
            return VmManagerDefaults.create(config());
        }
    }
}
