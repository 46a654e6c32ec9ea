package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.store.VmStore;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TrustPolicy;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManagerConfig;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;
import io.vboxmcp.core.internal.image.ImageCatalogs;
import io.vboxmcp.core.internal.image.ImageStore;
import io.vboxmcp.core.internal.repo.LocalRepository;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.archive.SafeExtractor;
import io.vboxmcp.core.internal.verify.TemplateTrust;
import io.vboxmcp.core.internal.verify.PinnedKeyStore;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TemplateSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Wires a {@link DefaultVmManager} from its configuration: providers, pinned keys, the trust policy, the local
 * repository, the configured sources, the image store, the audit log and the VM store; then rolls back creates a
 * killed process left half-done. The manager itself holds only the parts and the public operations.
 */
final class ManagerAssembly {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ManagerAssembly.class);

    private ManagerAssembly() {
    }

    static DefaultVmManager assemble(VmManagerConfig config) throws VboxmcpException {
        Path home = config.home();
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not create the vboxmcp home " + home + ": " + e.getMessage(), e);
        }
        ProviderRegistry registry = new ProviderRegistry(config, ManagerAssembly.class.getClassLoader());
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

    /** The caps a template gets, folder or package (ARC-13, ARC-14); {@link CoreKeys} can lower or raise them. */
    static SafeExtractor.Limits templateLimits(CoreContext ctx) throws VboxmcpException {
        SafeExtractor.Limits d = SafeExtractor.Limits.defaults();
        return new SafeExtractor.Limits(ctx.intConfig(CoreKeys.TEMPLATE_MAX_FILES, d.maxEntries()),
                ctx.intConfig(CoreKeys.TEMPLATE_MAX_FILE_MB, (int) (d.maxEntryBytes() >> 20)) * (1L << 20),
                ctx.intConfig(CoreKeys.TEMPLATE_MAX_TOTAL_MB, (int) (d.maxTotalBytes() >> 20)) * (1L << 20),
                d.maxRatio(), d.ratioGraceBytes(), d.maxTrustFileBytes());
    }
}
