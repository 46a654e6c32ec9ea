package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.resolve.Resolver;
import io.vboxmcp.core.internal.plan.Planner;
import io.vboxmcp.core.internal.store.VmStore;
import io.vboxmcp.AuditLog;
import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.LockResult;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.ProviderProblem;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmManagerConfig;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;
import io.vboxmcp.core.internal.image.DefaultImageCache;
import io.vboxmcp.core.internal.image.ImageStore;
import io.vboxmcp.core.internal.repo.LocalRepository;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.publish.DefaultTemplatePublisher;
import io.vboxmcp.core.internal.archive.SafeExtractor;
import io.vboxmcp.core.internal.verify.TemplateTrust;
import io.vboxmcp.core.internal.verify.PinnedKeyStore;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.template.TemplateRepository;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The default {@link VmManager}: resolve → fetch → verify → load → plan → image → create → start → guest ready →
 * provision, as a saga whose steps undo themselves in reverse order on any failure.
 */
final class DefaultVmManager implements VmManager {

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
    final CrashRecovery recovery;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final RegistryOperations registryOps;

    DefaultVmManager(VmManagerConfig config, CoreContext context, ProviderRegistry registry, TemplateLoader loader,
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
                (long) context.intConfig(CoreKeys.SNAPSHOT_MAX_MB, 20480) << 20, this::releaseSnapshot));
        Planner planner = new Planner(config.resourcePolicy(), Planner.HostCapacity.probe(config.home()),
                config.sharedFolderRoots());
        this.pipeline = new CreatePipeline(new CreatePipeline.Parts(config, context, registry, loader, this.sources,
                trust, images, store, planner, denies, auditWriter, readiness, snapshots), this);
        this.recovery = new CrashRecovery(store, registry, context, auditWriter);
        this.registryOps = new RegistryOperations(config.home(), context, registry, this.sources, trust, repository,
                loader, limits);
    }


    /** What a driver keeps for a ready snapshot outside its folder (a VirtualBox template VM) goes with it. */
    private void releaseSnapshot(Path dir, String driverId) {
        if (driverId == null) {
            return;
        }
        try {
            Optional<io.vboxmcp.spi.ReadySnapshotSupport> s = registry.driver(driverId, context).readySnapshots();
            if (s.isPresent()) {
                s.get().release(dir);
            }
        } catch (VboxmcpException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(DefaultVmManager.class).warn(
                    "ready snapshot {}: driver '{}' could not free what it keeps for it: {}", dir.getFileName(),
                    driverId, e.getMessage());
        }
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
    public TemplateDefinition definition(TemplateRef ref) throws VboxmcpException {
        ensureOpen();
        java.util.Objects.requireNonNull(ref, "ref");
        Path work = config.home().resolve("tmp").resolve("definition-" + UUID.randomUUID());
        // the name only has to be valid: nothing is planned or created under it
        CreateVmRequest request = CreateVmRequest.builder("definition-probe", ref).build();
        try {
            return denies.guard("template.definition", null, ref.toString(),
                    () -> pipeline.load(request, new Saga(config.progress(), request.vmName()), work)
                            .composed().composition().template());
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
