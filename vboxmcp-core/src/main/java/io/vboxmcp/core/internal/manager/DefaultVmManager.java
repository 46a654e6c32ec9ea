package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.resolve.Resolver;
import io.vboxmcp.core.internal.plan.Planner;
import io.vboxmcp.core.internal.store.VmStore;
import io.vboxmcp.AuditLog;
import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.LockResult;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.ProviderProblem;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.TrustPolicy;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmManagerConfig;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;
import io.vboxmcp.core.internal.image.DefaultImageCache;
import io.vboxmcp.core.internal.image.ImageCatalogs;
import io.vboxmcp.core.internal.image.ImageStore;
import io.vboxmcp.core.internal.repo.LocalRepository;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.publish.DefaultTemplatePublisher;
import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.archive.SafeExtractor;
import io.vboxmcp.core.internal.archive.TemplateFiles;
import io.vboxmcp.core.internal.verify.TemplateTrust;
import io.vboxmcp.core.internal.verify.PinnedKeyStore;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.template.TemplateRepository;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The default {@link VmManager}: resolve → fetch → verify → load → plan → image → create → start → guest ready →
 * provision, as a saga whose steps undo themselves in reverse order on any failure.
 */
final class DefaultVmManager implements VmManager {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DefaultVmManager.class);

    private final VmManagerConfig config;
    private final CoreContext context;
    private final ProviderRegistry registry;
    private final TemplateLoader loader;
    private final LocalRepository repository;
    private final List<TemplateSource> sources;
    private final TemplateTrust trust;
    private final PinnedKeyStore trustStore;
    private final ImageStore images;
    private final DefaultImageCache imageCache;
    private final SnapshotSteps snapshots;
    private final HashChainAuditLog audit;
    private final DenyRecords denies;
    private final VmStore store;
    private final AuditWriter auditWriter;
    private final GuestReadiness readiness;
    private final CreatePipeline pipeline;
    private final CrashRecovery recovery;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final RegistryOperations registryOps;

    private DefaultVmManager(VmManagerConfig config, CoreContext context, ProviderRegistry registry, TemplateLoader loader,
                             LocalRepository repository, List<TemplateSource> sources, TemplateTrust trust,
                             PinnedKeyStore trustStore, ImageStore images, HashChainAuditLog audit, VmStore store,
                             SafeExtractor.Limits limits)
            throws VboxmcpException {
        this.config = config;
        this.context = context;
        this.registry = registry;
        this.loader = loader;
        this.repository = repository;
        this.denies = new DenyRecords(audit);
        // refusals from a source (Git signature, moved tag, redirect ...) that reach a caller leave a deny record
        this.sources = sources.stream().map(denies::source).toList();
        this.trust = trust;
        this.trustStore = trustStore;
        this.images = images;
        this.imageCache = new DefaultImageCache(images, config.home());
        this.audit = audit;
        this.store = store;
        this.auditWriter = new AuditWriter(audit, context);
        this.readiness = new GuestReadiness(store, context, config.progress());
        this.snapshots = new SnapshotSteps(context, new io.vboxmcp.core.internal.snapshot.SnapshotCache(config.home(),
                (long) context.intConfig(CoreKeys.SNAPSHOT_MAX_MB, 20480) << 20));
        Planner planner = new Planner(config.resourcePolicy(), Planner.HostCapacity.probe(config.home()),
                config.sharedFolderRoots());
        this.pipeline = new CreatePipeline(new CreatePipeline.Parts(config, context, registry, loader, this.sources,
                trust, images, store, planner, denies, auditWriter, readiness, snapshots), this);
        this.recovery = new CrashRecovery(store, registry, context, auditWriter);
        this.registryOps = new RegistryOperations(config.home(), context, registry, this.sources, trust, repository,
                loader, limits);
    }

    static DefaultVmManager create(VmManagerConfig config) throws VboxmcpException {
        Path home = config.home();
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not create the vboxmcp home " + home + ": " + e.getMessage(), e);
        }
        ProviderRegistry registry = new ProviderRegistry(config, DefaultVmManager.class.getClassLoader());
        PinnedKeyStore trustStore = new PinnedKeyStore(home);
        // verifier factories receive the context, so the context's map is filled once they exist
        Map<String, SignatureVerifier> verifiers = new java.util.concurrent.ConcurrentHashMap<>();
        CoreContext ctx = new CoreContext(home, config.properties(), sourceId -> {
            try {
                return trustStore.keysFor(sourceId);
            } catch (VboxmcpException e) {
                LOG.warn("could not read pinned keys for source '{}': {}", sourceId, e.getMessage());
                return List.of();  // fail closed: no keys, nothing verifies
            }
        }, verifiers, config.progress());
        verifiers.putAll(registry.verifiers(ctx));
        Duration lockTimeout = Duration.ofSeconds(ctx.intConfig(CoreKeys.LOCK_TIMEOUT, 10));
        TemplateLoader loader = TemplateLoader.standard();
        List<SourceConfig> configured = new ArrayList<>(config.sources());
        configured.sort(Comparator.comparingInt(SourceConfig::priority));
        configured.addAll(new SourcesFile(home).read());
        java.util.Set<String> unsigned = new java.util.HashSet<>(config.trustPolicy().unsignedSources());
        configured.stream().filter(sc -> Boolean.parseBoolean(sc.options().getOrDefault(SourcesFile.ALLOW_UNSIGNED, "false")))
                .forEach(sc -> unsigned.add(sc.id()));
        TrustPolicy policy = new TrustPolicy(config.trustPolicy().requireSignedLocal(),
                config.trustPolicy().requireSignedRemote(), unsigned, config.trustPolicy().thresholds());
        for (SourceConfig sc : configured) {
            Integer threshold = SourcesFile.threshold(sc);
            if (threshold != null) {
                policy = policy.withThreshold(sc.id(), threshold);
            }
        }
        SafeExtractor.Limits limits = templateLimits(ctx);
        TemplateTrust trust = new TemplateTrust(home, policy, Map.copyOf(verifiers), Clock.systemUTC(), limits);
        LocalRepository repository = new LocalRepository(home, loader, lockTimeout, (pkg, staging) -> {
            // a package names itself in its manifest; verification happens before anything is extracted
            SafeExtractor.Scan scan = new SafeExtractor(limits).scan(pkg);
            if (scan.manifest() == null) {
                throw new io.vboxmcp.ArchiveException("package " + pkg.getFileName() + " has no " + Manifest.FILE_NAME);
            }
            Manifest m = Manifest.parse(scan.manifest());
            FetchedTemplate f = new FetchedTemplate(m.name(), m.version(), pkg, List.of(), LocalRepository.SOURCE_ID,
                    false, "package " + pkg, null);
            return trust.verify(f, staging).directory();
        }, limits, (dir, d) -> trust.verify(new FetchedTemplate(d.name(), d.version(), dir, List.of(),
                LocalRepository.SOURCE_ID, false, "install " + dir, null), null));
        List<TemplateSource> sources = new ArrayList<>();
        sources.add(repository);
        java.util.Set<String> ids = new java.util.HashSet<>(List.of(LocalRepository.SOURCE_ID));
        for (SourceConfig sc : configured) {
            if (!ids.add(sc.id())) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "two template sources are named '" + sc.id() + "'");
            }
            // allow-unsigned and threshold are the trust policy's business, not the provider's
            Map<String, String> opts = new java.util.LinkedHashMap<>(sc.options());
            opts.remove(SourcesFile.ALLOW_UNSIGNED);
            opts.remove(SourcesFile.THRESHOLD);
            sources.add(registry.createSource(new SourceConfig(sc.id(), sc.uri(), sc.priority(), opts), ctx));
        }
        ImageStore images = ImageCatalogs.store(home, ctx::config);
        HashChainAuditLog audit = new HashChainAuditLog(home.resolve("audit.log"), ctx.config(CoreKeys.AUDIT_CHECKPOINT_KEY)
                .map(Path::of).orElse(home.resolve("audit").resolve("checkpoint.key")), Clock.systemUTC());
        VmStore store = new VmStore(home, lockTimeout);
        DefaultVmManager m = new DefaultVmManager(config, ctx, registry, loader, repository, List.copyOf(sources), trust,
                trustStore, images, audit, store, limits);
        m.recovery.rollBackInterruptedCreates();
        return m;
    }

    // ---------------------------------------------------------------- create

    @Override
    public Vm createFromTemplate(CreateVmRequest request) throws VboxmcpException {
        ensureOpen();
        // the create writes its own record (outcome deny for a refusal): the sources it calls write none
        return denies.quiet(() -> create(request));
    }

    private Vm create(CreateVmRequest request) throws VboxmcpException {
        return pipeline.create(request, both(config.progress(), request.progress()));
    }

    @Override
    public VmPlan plan(CreateVmRequest request) throws VboxmcpException {
        ensureOpen();
        Path work = config.home().resolve("tmp").resolve("plan-" + UUID.randomUUID());
        try {
            return denies.guard("vm.plan", null, request.template().toString(),
                    () -> pipeline.prepare(request, new Saga(both(config.progress(), request.progress()),
                            request.vmName()), work).plan());
        } finally {
            try {
                AtomicFiles.deleteTree(work);
            } catch (IOException ignored) {
                // temporary files
            }
        }
    }

    @Override
    public LockResult lock(Path templateFolder, boolean update) throws VboxmcpException {
        ensureOpen();
        java.util.Objects.requireNonNull(templateFolder, "templateFolder");
        Path work = config.home().resolve("tmp").resolve("lock-" + UUID.randomUUID());
        try {
            return denies.guard("template.lock", "local", String.valueOf(templateFolder),
                    () -> pipeline.composition().lock(templateFolder, update, work, config.progress()));
        } finally {
            AtomicFiles.deleteTreeQuietly(work);
        }
    }

    // ---------------------------------------------------------------- for the Vm handles

    SshGuestChannel connect(String name, Machine m, Duration timeout) throws VboxmcpException {
        return readiness.connect(name, m, timeout);
    }

    SshGuestChannel waitForGuest(String name, Machine m, HypervisorDriver driver, Duration timeout)
            throws VboxmcpException {
        return readiness.await(name, m, driver, timeout);
    }

    SshEndpoint endpoint(String name, Machine m) {
        return readiness.endpoint(name, m);
    }

    Duration readyTimeout(Duration requested) throws VboxmcpException {
        return readiness.readyTimeout(requested);
    }

    Duration stopGrace() throws VboxmcpException {
        return Duration.ofSeconds(context.intConfig(CoreKeys.STOP_GRACE, 30));
    }

    VmStore store() {
        return store;
    }

    void saveState(DefaultVm vm, VmState state) throws VboxmcpException {
        store.save(new VmStore.Record(vm.plan().driverId(), vm.plan(), vm.machine(), state));
    }

    void destroyMachine(VmPlan plan, Machine m, HypervisorDriver driver) throws VboxmcpException {
        String outcome = "ok";
        try {
            if (m != null) {
                driver.destroy(m);
            }
            store.delete(plan.vmName());
        } catch (VboxmcpException e) {
            outcome = "failed";
            throw e;
        } finally {
            auditWriter.append(new HashChainAuditLog.Event("vm.destroy", outcome, HashChainAuditLog.fields(
                    "vm", plan.vmName(), "template", plan.template().name(), "version", plan.template().version(),
                    "digest", plan.manifestDigest(), "driver", plan.driverId())));
        }
    }

    // ---------------------------------------------------------------- queries

    @Override
    public TemplateDefinition validate(Path path) throws VboxmcpException {
        return TemplateValidation.validate(path, context);
    }

    /** The caps a template gets, folder or package (ARC-13, ARC-14); {@link CoreKeys} can lower or raise them. */
    static SafeExtractor.Limits templateLimits(CoreContext ctx) throws VboxmcpException {
        SafeExtractor.Limits d = SafeExtractor.Limits.defaults();
        return new SafeExtractor.Limits(ctx.intConfig(CoreKeys.TEMPLATE_MAX_FILES, d.maxEntries()),
                ctx.intConfig(CoreKeys.TEMPLATE_MAX_FILE_MB, (int) (d.maxEntryBytes() >> 20)) * (1L << 20),
                ctx.intConfig(CoreKeys.TEMPLATE_MAX_TOTAL_MB, (int) (d.maxTotalBytes() >> 20)) * (1L << 20),
                d.maxRatio(), d.ratioGraceBytes(), d.maxTrustFileBytes());
    }

    @Override
    public ResolvedTemplate resolve(TemplateRef ref) throws VboxmcpException {
        ensureOpen();
        Resolver.Resolution r = new Resolver(sources).resolve(ref);
        return new ResolvedTemplate(ref.name(), r.version(), r.source().config().id());
    }

    @Override
    public List<TemplateInfo> search(String query) throws VboxmcpException {
        ensureOpen();
        io.vboxmcp.core.internal.search.TemplateQuery q = io.vboxmcp.core.internal.search.TemplateQuery.parse(query);
        List<TemplateInfo> all = new ArrayList<>();
        for (TemplateSource s : sources) {
            all.addAll(s.describe());
        }
        return q.apply(all);
    }

    @Override
    public TemplateRepository templates() {
        // the local repository, plus installs from the configured sources and one-off registry references
        return denies.repository(new TemplateRepository() {
            @Override
            public List<TemplateInfo> list() throws VboxmcpException {
                return repository.list();
            }

            @Override
            public List<io.vboxmcp.SemanticVersion> versions(String name) throws VboxmcpException {
                return repository.versions(name);
            }

            @Override
            public Optional<io.vboxmcp.template.InstalledTemplate> get(String name, io.vboxmcp.SemanticVersion version)
                    throws VboxmcpException {
                return repository.get(name, version);
            }

            @Override
            public io.vboxmcp.template.InstalledTemplate install(Path source) throws VboxmcpException {
                return repository.install(source);
            }

            @Override
            public io.vboxmcp.template.InstalledTemplate install(TemplateRef ref) throws VboxmcpException {
                ensureOpen();
                return registryOps.install(ref);
            }

            @Override
            public io.vboxmcp.template.InstalledTemplate install(java.net.URI reference) throws VboxmcpException {
                ensureOpen();
                return registryOps.install(reference);
            }

            @Override
            public boolean remove(String name, io.vboxmcp.SemanticVersion version) throws VboxmcpException {
                return repository.remove(name, version);
            }
        });
    }

    @Override
    public io.vboxmcp.trust.TrustStore trust() {
        return denies.trustStore(trustStore);
    }

    @Override
    public io.vboxmcp.trust.TemplatePublisher publisher() {
        return denies.publisher(new DefaultTemplatePublisher(Clock.systemUTC(), (self, what, target) -> {
            ensureOpen();
            return registryOps.publish(self, what, target);
        }));
    }

    @Override
    public io.vboxmcp.image.ImageCache images() {
        return imageCache;
    }

    @Override
    public io.vboxmcp.image.ReadySnapshotCache readySnapshots() {
        return snapshots.cache();
    }

    @Override
    public List<SourceConfig> sources() {
        return sources.stream().map(TemplateSource::config).toList();
    }

    @Override
    public Optional<Vm> vm(String name) throws VboxmcpException {
        ensureOpen();
        Optional<VmStore.Record> r = store.load(name);
        if (r.isEmpty() || r.get().machine() == null) {
            return Optional.empty();
        }
        HypervisorDriver d = registry.driver(r.get().driverId(), context);
        return Optional.of(new DefaultVm(this, r.get().plan(), r.get().machine(), d, null));
    }

    @Override
    public List<Vm> vms() throws VboxmcpException {
        List<Vm> out = new ArrayList<>();
        for (String n : store.names()) {
            vm(n).ifPresent(out::add);
        }
        return out;
    }

    @Override
    public AuditLog audit() {
        return audit;
    }

    @Override
    public List<ProviderProblem> providerProblems() {
        return registry.problems();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (TemplateSource s : sources) {
                try {
                    s.close();
                } catch (VboxmcpException | RuntimeException ignored) {
                    // closing
                }
            }
            registry.close();
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this VmManager is closed");
        }
    }

    private static ProgressListener both(ProgressListener a, ProgressListener b) {
        if (a == ProgressListener.NONE) {
            return b;
        }
        if (b == ProgressListener.NONE) {
            return a;
        }
        return e -> {
            a.onEvent(e);
            b.onEvent(e);
        };
    }
}
