package io.vboxmcp.core.internal.manager;

import io.vboxmcp.AuditLog;
import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.ProviderProblem;
import io.vboxmcp.ResourceLimitException;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.TrustPolicy;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Violation;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.VmManagerConfig;
import io.vboxmcp.VmPlan;
import io.vboxmcp.VmState;
import io.vboxmcp.VmStateException;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;
import io.vboxmcp.core.internal.image.DefaultImageCache;
import io.vboxmcp.core.internal.image.ImageCatalogs;
import io.vboxmcp.core.internal.image.ImageStore;
import io.vboxmcp.core.internal.provision.CloudInitWait;
import io.vboxmcp.core.internal.provision.Provisioner;
import io.vboxmcp.core.internal.repo.LocalRepository;
import io.vboxmcp.core.internal.ssh.SshGuestChannel;
import io.vboxmcp.core.internal.ssh.SshKeys;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.trust.DefaultTemplatePublisher;
import io.vboxmcp.core.internal.trust.Manifest;
import io.vboxmcp.core.internal.trust.SafeExtractor;
import io.vboxmcp.core.internal.trust.TemplateFiles;
import io.vboxmcp.core.internal.trust.TemplateTrust;
import io.vboxmcp.core.internal.trust.TrustStore;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.FileLocks;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
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
import java.util.Locale;
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
    /** How long one SSH attempt waits for the guest's server to identify itself before the poll retries. */
    static final Duration SSH_ANSWER = Duration.ofSeconds(5);

    private final VmManagerConfig config;
    private final CoreContext context;
    private final ProviderRegistry registry;
    private final TemplateLoader loader;
    private final LocalRepository repository;
    private final List<TemplateSource> sources;
    private final TemplateTrust trust;
    private final TrustStore trustStore;
    private final ImageStore images;
    private final DefaultImageCache imageCache;
    private final HashChainAuditLog audit;
    private final DenyRecords denies;
    private final VmStore store;
    private final Planner planner;
    private final Clock clock = Clock.systemUTC();
    private final AtomicBoolean closed = new AtomicBoolean();

    private DefaultVmManager(VmManagerConfig config, CoreContext context, ProviderRegistry registry, TemplateLoader loader,
                             LocalRepository repository, List<TemplateSource> sources, TemplateTrust trust,
                             TrustStore trustStore, ImageStore images, HashChainAuditLog audit, VmStore store) {
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
        this.planner = new Planner(config.resourcePolicy(), Planner.HostCapacity.probe(config.home()),
                config.sharedFolderRoots());
    }

    static DefaultVmManager create(VmManagerConfig config) throws VboxmcpException {
        Path home = config.home();
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not create the vboxmcp home " + home + ": " + e.getMessage(), e);
        }
        ProviderRegistry registry = new ProviderRegistry(config, DefaultVmManager.class.getClassLoader());
        TrustStore trustStore = new TrustStore(home);
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
                trustStore, images, audit, store);
        m.recoverInterruptedCreates();
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
        ProgressListener progress = both(config.progress(), request.progress());
        Saga saga = new Saga(progress, request.vmName());
        Path work = config.home().resolve("tmp").resolve(request.vmName() + "-" + UUID.randomUUID());
        Prepared prepared = null;
        SshGuestChannel channel = null;
        Machine machine = null;
        HypervisorDriver driver = null;
        try (FileLocks.Held ignored = lockForCreate(request.vmName())) {
            if (store.load(request.vmName()).isPresent() || Files.exists(store.dir(request.vmName()))) {
                throw new VmStateException(ErrorCode.VM_EXISTS, "a VM named '" + request.vmName() + "' already exists", null);
            }
            prepared = prepare(request, saga, work);
            VmPlan plan = prepared.plan();
            checkConcurrency();
            BaseImage image = saga.step("image", () -> images.resolve(plan.template().baseImage(), progress));
            Path vmDir = saga.step("reserve", () -> store.reserve(request.vmName()));
            saga.onUndo("VM folder " + vmDir, () -> store.delete(request.vmName()));
            SshKeys.SshKeyPair keys = saga.step("keys", () -> SshKeys.generate(vmDir.resolve("ssh"),
                    "vboxmcp@" + request.vmName()));
            store.save(new VmStore.Record(plan.driverId(), plan, null, VmState.CREATING));
            HypervisorDriver d = registry.driver(plan.driverId(), context);
            driver = d;
            MachineSpec spec = new MachineSpec(plan, vmDir, image, keys.publicKeyLine(), sshUser(),
                    UUID.randomUUID().toString(), progress);
            Machine m = saga.step("create", () -> d.create(spec));
            machine = m;
            saga.onUndo("machine " + m.name() + " on " + d.id(), () -> d.destroy(m));
            store.journal(request.vmName(), "MACHINE");
            store.save(new VmStore.Record(plan.driverId(), plan, m, VmState.CREATING));
            saga.run("start", () -> d.start(m));
            channel = saga.step("guest-ready", () -> waitForGuest(request.vmName(), m, d,
                    readyTimeout(request.readyTimeout()), progress));
            SshGuestChannel ch = channel;
            saga.onUndo("SSH connection", ch::close);
            Duration scriptTimeout = Duration.ofSeconds(context.intConfig(CoreKeys.SCRIPT_TIMEOUT, 1800));
            Path templateDir = prepared.verified().directory();  // still there: `work` goes only after create
            saga.run("provision", () -> new Provisioner(ch, progress, request.vmName(), scriptTimeout,
                    config.packageMirrors()).provision(plan, templateDir, f -> d.guestMountCommand(m, f)));
            store.save(new VmStore.Record(plan.driverId(), plan, m, VmState.RUNNING));
            auditCreate(request, prepared, null);  // fails closed (AUD-07): before the commit
            store.journal(request.vmName(), "COMMIT");
            saga.commit();
            return new DefaultVm(this, plan, m, d, channel);
        } catch (VboxmcpException | RuntimeException | Error e) {
            VboxmcpException typed = e instanceof VboxmcpException v ? v
                    : new VboxmcpException(ErrorCode.INTERNAL, "unexpected " + e, e).inStep(saga.currentStep());
            if (request.keepOnFailure() && machine != null && "provision".equals(typed.step().orElse(""))) {
                keepFailed(request, prepared, machine, channel);
            } else {
                List<String> orphans = saga.rollback(typed);
                if (!orphans.isEmpty()) {
                    LOG.warn("VM '{}': could not release {}", request.vmName(), orphans);
                }
            }
            try {
                auditCreate(request, prepared, typed);
            } catch (VboxmcpException auditFailure) {
                typed.addSuppressed(auditFailure);
            }
            if (e instanceof Error err) {
                throw err;
            }
            throw typed;
        } finally {
            try {
                AtomicFiles.deleteTree(work);
            } catch (IOException ignored) {
                // temporary files; the next start removes stale ones
            }
        }
    }

    private FileLocks.Held lockForCreate(String name) throws VboxmcpException {
        if (!TemplateRef.isValidName(name)) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + name + "' is not a valid VM name: use lower-case "
                    + "letters, digits and '-', starting with a letter or digit, at most 63 characters");
        }
        return store.lock(name);
    }

    private void keepFailed(CreateVmRequest request, Prepared prepared, Machine machine, SshGuestChannel channel) {
        try {
            if (channel != null) {
                channel.close();
            }
            store.save(new VmStore.Record(prepared.plan().driverId(), prepared.plan(), machine, VmState.FAILED));
            store.journal(request.vmName(), "COMMIT FAILED");
        } catch (VboxmcpException e) {
            LOG.warn("could not record VM '{}' as failed: {}", request.vmName(), e.getMessage());
        }
    }

    private void checkConcurrency() throws VboxmcpException {
        int max = config.resourcePolicy().maxConcurrentVms();
        if (max > 0) {
            long existing = store.names().size();
            if (existing >= max) {
                throw new ResourceLimitException("the resource policy allows at most " + max + " VMs and " + existing
                        + " exist");
            }
        }
    }

    /** What the steps before any hypervisor work produced. */
    private record Prepared(String sourceId, FetchedTemplate fetched, TemplateTrust.VerifiedTemplate verified,
                            VmPlan plan) { }

    private Prepared prepare(CreateVmRequest request, Saga saga, Path work) throws VboxmcpException {
        Resolver.Resolution r = saga.step("resolve", () -> new Resolver(sources).resolve(request.template()));
        FetchedTemplate fetched = saga.step("fetch", () -> {
            Files.createDirectories(work.resolve("fetch"));
            return r.source().fetch(request.template().name(), r.version(), work.resolve("fetch"));
        });
        // as a boundary call: a refusal names the source and template it came from in the deny record
        TemplateTrust.VerifiedTemplate verified = saga.step("verify", () -> denies.guard("template.verify",
                r.source().config().id(), fetched.name() + "@" + fetched.version(),
                () -> trust.verify(fetched, work.resolve("verified"))));
        TemplateDefinition t = saga.step("load", () -> loadMatching(verified.directory(), fetched));
        String driverId = saga.step("driver", () -> registry.chooseDriver(
                request.driverId() != null ? request.driverId() : config.defaultDriver(), context));
        VmPlan plan = saga.step("plan", () -> planner.plan(request, t, verified.manifestDigest(), verified.signer(), driverId));
        return new Prepared(r.source().config().id(), fetched, verified, plan);
    }

    /** ART-09: the document must name the template and version the source delivered under. */
    private TemplateDefinition loadMatching(Path dir, FetchedTemplate fetched) throws VboxmcpException {
        Path file = dir.resolve(TemplateLoader.FILE_NAME);
        TemplateDefinition t = loader.load(file);
        if (!t.name().equals(fetched.name()) || !t.version().equals(fetched.version())) {
            throw new TemplateValidationException(List.of(new Violation(file.toString(), 0, 0, "",
                    "the document says " + t.coordinates() + " but the source delivered it as " + fetched.name() + "@"
                            + fetched.version())));
        }
        return t;
    }

    @Override
    public VmPlan plan(CreateVmRequest request) throws VboxmcpException {
        ensureOpen();
        Path work = config.home().resolve("tmp").resolve("plan-" + UUID.randomUUID());
        try {
            return denies.guard("vm.plan", null, request.template().toString(),
                    () -> prepare(request, new Saga(both(config.progress(), request.progress()), request.vmName()), work)
                            .plan());
        } finally {
            try {
                AtomicFiles.deleteTree(work);
            } catch (IOException ignored) {
                // temporary files
            }
        }
    }

    // ---------------------------------------------------------------- guest

    SshGuestChannel waitForGuest(String name, Machine m, HypervisorDriver driver, Duration timeout) throws VboxmcpException {
        return waitForGuest(name, m, driver, timeout, config.progress());
    }

    /**
     * Polls until SSH answers, then waits for cloud-init (if the guest has it) within the same timeout. The SSH
     * client starts once {@link SshBannerProbe} saw a server's banner (behind QEMU's user networking the host side
     * accepts at once even while the guest boots, and a stalled attempt held the poll for seconds); it then waits
     * at most {@link #SSH_ANSWER} for the server to identify itself.
     */
    SshGuestChannel waitForGuest(String name, Machine m, HypervisorDriver driver, Duration timeout,
                                 ProgressListener progress) throws VboxmcpException {
        long deadline = System.nanoTime() + timeout.toNanos();
        // the SSH client's class loading overlaps the guest's boot instead of following it
        SshKeys.SshKeyPair keys = SshKeys.load(store.dir(name).resolve("ssh").resolve(SshKeys.PRIVATE_KEY_FILE));
        Thread warm = new Thread(() -> SshGuestChannel.warmUp(keys.keyPair()), "vboxmcp-ssh-warm-up");
        warm.setDaemon(true);
        warm.start();
        SshGuestChannel ch = pollSsh(name, m, driver, timeout, deadline);
        try {
            CloudInitWait.await(ch, Duration.ofNanos(deadline - System.nanoTime()), progress, name);
            return ch;
        } catch (VboxmcpException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private SshGuestChannel pollSsh(String name, Machine m, HypervisorDriver driver, Duration timeout, long deadline)
            throws VboxmcpException {
        VboxmcpException last = null;
        try (SshBannerProbe probe = new SshBannerProbe(m.sshHost(), m.sshPort())) {
            while (System.nanoTime() < deadline) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while waiting for the guest");
                }
                VmState s = driver.state(m);
                if (s != VmState.RUNNING && s != VmState.CREATING && s != VmState.UNKNOWN) {
                    throw new VboxmcpException(ErrorCode.HYPERVISOR, "the VM stopped while booting (state " + s + ")"
                            + console(driver, m));
                }
                // the SSH client (key exchange, authentication) only once a server has identified itself
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                if (probe.awaitBanner(Duration.ofMillis(Math.min(left, 1_000)))) {
                    try {
                        left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                        return connect(name, m, Duration.ofMillis(Math.min(left, 15_000)),
                                Duration.ofMillis(Math.min(left, SSH_ANSWER.toMillis())));
                    } catch (VboxmcpException e) {
                        if (e.code() != ErrorCode.TIMEOUT) {
                            throw e;
                        }
                        last = e;
                    }
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not watch " + m.sshHost() + ":" + m.sshPort()
                    + " for the guest's SSH server: " + e.getMessage(), e);
        }
        throw new VboxmcpException(ErrorCode.TIMEOUT, "the guest did not answer SSH on " + m.sshHost() + ":" + m.sshPort()
                + " within " + timeout.toSeconds() + " s" + (last == null ? "" : " (" + last.getMessage() + ")")
                + console(driver, m), last);
    }

    private static String console(HypervisorDriver driver, Machine m) {
        String tail = driver.consoleTail(m, 15);
        return tail == null || tail.isBlank() ? "" : "; last console lines:\n" + tail;
    }

    SshGuestChannel connect(String name, Machine m, Duration timeout) throws VboxmcpException {
        return connect(name, m, timeout, timeout);
    }

    private SshGuestChannel connect(String name, Machine m, Duration timeout, Duration answer) throws VboxmcpException {
        Path ssh = store.dir(name).resolve("ssh");
        SshKeys.SshKeyPair keys = SshKeys.load(ssh.resolve(SshKeys.PRIVATE_KEY_FILE));
        return SshGuestChannel.connect(m.sshHost(), m.sshPort(), sshUser(), keys.keyPair(), ssh.resolve("host_key_pin"),
                timeout, answer);
    }

    SshEndpoint endpoint(String name, Machine m) {
        Path ssh = store.dir(name).resolve("ssh");
        String pin = null;
        try {
            Path f = ssh.resolve("host_key_pin");
            pin = Files.exists(f) ? Files.readString(f).trim() : null;
        } catch (IOException ignored) {
            // not pinned yet
        }
        return new SshEndpoint(m.sshHost(), m.sshPort(), sshUser(), ssh.resolve(SshKeys.PRIVATE_KEY_FILE), pin);
    }

    private String sshUser() {
        return context.config(CoreKeys.SSH_USER).orElse("root");
    }

    Duration readyTimeout(Duration requested) throws VboxmcpException {
        return requested != null ? requested : Duration.ofSeconds(context.intConfig(CoreKeys.READY_TIMEOUT, 180));
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
            appendAudit(new HashChainAuditLog.Event("vm.destroy", outcome, HashChainAuditLog.fields(
                    "vm", plan.vmName(), "template", plan.template().name(), "version", plan.template().version(),
                    "digest", plan.manifestDigest(), "driver", plan.driverId())));
        }
    }

    // ---------------------------------------------------------------- recovery

    /** LCY-05: a create whose journal has no COMMIT and whose lock is free was killed; roll it back. */
    private void recoverInterruptedCreates() {
        try {
            for (String name : store.names()) {
                List<String> journal = store.readJournal(name);
                if (journal.stream().anyMatch(l -> l.startsWith("COMMIT"))) {
                    continue;
                }
                try (FileLocks.Held ignored = store.tryLock(name)) {
                    Optional<VmStore.Record> rec = store.load(name);
                    if (rec.isPresent() && rec.get().machine() != null) {
                        registry.driver(rec.get().driverId(), context).destroy(rec.get().machine());
                    }
                    store.delete(name);
                    LOG.info("rolled back VM '{}' whose creation was interrupted", name);
                    appendAudit(new HashChainAuditLog.Event("vm.recover", "ok", HashChainAuditLog.fields("vm", name,
                            "reason", "creation was interrupted; rolled back")));
                } catch (VboxmcpException e) {
                    if (e.code() != ErrorCode.LOCKED) {
                        LOG.warn("could not roll back interrupted VM '{}': {}", name, e.getMessage());
                    }
                }
            }
        } catch (VboxmcpException e) {
            LOG.warn("could not scan for interrupted creates: {}", e.getMessage());
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
        String[] words = query == null ? new String[0] : query.toLowerCase(Locale.ROOT).trim().split("\\s+");
        List<TemplateInfo> out = new ArrayList<>();
        for (TemplateSource s : sources) {
            for (TemplateInfo i : s.describe()) {
                String hay = (i.name() + " " + (i.description() == null ? "" : i.description()) + " "
                        + String.join(" ", i.tags())).toLowerCase(Locale.ROOT);
                boolean all = true;
                for (String w : words) {
                    if (!w.isEmpty() && !hay.contains(w)) {
                        all = false;
                        break;
                    }
                }
                if (all) {
                    out.add(i);
                }
            }
        }
        return out;
    }

    @Override
    public TemplateRepository templates() {
        return denies.repository(repository);
    }

    @Override
    public io.vboxmcp.trust.TrustStore trust() {
        return denies.trustStore(trustStore);
    }

    @Override
    public io.vboxmcp.trust.TemplatePublisher publisher() {
        return denies.publisher(new DefaultTemplatePublisher());
    }

    @Override
    public io.vboxmcp.image.ImageCache images() {
        return imageCache;
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

    // ---------------------------------------------------------------- audit

    /** One record per create: ok, failed, or deny (a refusal, with the source that refused if resolution got that far). */
    private void auditCreate(CreateVmRequest req, Prepared p, VboxmcpException failure) throws VboxmcpException {
        boolean refused = failure != null && DenyRecords.isRefusal(failure);
        String refusingSource = failure == null ? null : denies.origin(failure).map(DenyRecords.Origin::source).orElse(null);
        appendAuditOrFail(new HashChainAuditLog.Event("vm.create",
                failure == null ? "ok" : refused ? DenyRecords.OUTCOME : "failed", HashChainAuditLog.fields(
                "vm", req.vmName(),
                "template", req.template().name(),
                "requested", req.template().range().toString(),
                "version", p == null ? null : p.fetched().version(),
                "source", p == null ? refusingSource : p.sourceId(),
                "digest", p == null ? null : p.verified().manifestDigest(),
                "signer", p == null ? null : p.verified().signer(),
                "driver", p == null ? null : p.plan().driverId(),
                "code", failure == null ? null : failure.code().name(),
                "step", failure == null ? null : failure.step().orElse(null),
                "reason", failure == null ? null : DenyRecords.redact(failure.getMessage()))));
    }

    private void appendAuditOrFail(HashChainAuditLog.Event e) throws VboxmcpException {
        try {
            audit.append(e);
        } catch (VboxmcpException ex) {
            if (failClosed(context)) {
                throw ex;
            }
            LOG.warn("audit log unavailable: {}", ex.getMessage());
        }
    }

    private static boolean failClosed(CoreContext context) {
        return context.config(CoreKeys.AUDIT_FAIL_CLOSED).map(Boolean::parseBoolean).orElse(true);
    }

    private void appendAudit(HashChainAuditLog.Event e) {
        try {
            audit.append(e);
        } catch (VboxmcpException ex) {
            LOG.warn("audit log unavailable: {}", ex.getMessage());
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
