package io.vboxmcp.core.internal.manager;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.repo.LocalRepository;
import io.vboxmcp.core.internal.resolve.Resolver;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.archive.SafeExtractor;
import io.vboxmcp.core.internal.verify.TemplateTrust;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.TemplatePublication;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.template.InstalledTemplate;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.trust.PublishResult;
import io.vboxmcp.trust.TemplatePublisher;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What the manager does with registries: publish a folder or package to a source that accepts publishing, and
 * install from the configured sources (by name and range) or from an immutable reference (a one-off share), each
 * verified under the source's trust policy before anything is extracted into the local repository.
 */
final class RegistryOperations {
    /** The source id a one-off reference gets when no configured source covers it: only global keys apply. */
    static final String SHARE_SOURCE = "share";

    private final Path home;
    private final CoreContext ctx;
    private final ProviderRegistry registry;
    private final List<TemplateSource> sources;
    private final TemplateTrust trust;
    private final LocalRepository repository;
    private final TemplateLoader loader;
    private final SafeExtractor.Limits limits;

    RegistryOperations(Path home, CoreContext ctx, ProviderRegistry registry, List<TemplateSource> sources,
                       TemplateTrust trust, LocalRepository repository, TemplateLoader loader, SafeExtractor.Limits limits) {
        this.home = home;
        this.ctx = ctx;
        this.registry = registry;
        this.sources = sources;
        this.trust = trust;
        this.repository = repository;
        this.loader = loader;
        this.limits = limits;
    }

    PublishResult publish(TemplatePublisher publisher, Path folderOrPackage, URI target) throws VboxmcpException {
        Path work = work("publish-");
        try (TemplateSource dest = registry.createSource(configFor(target, "publish"), ctx)) {
            Path pkg = folderOrPackage;
            if (Files.isDirectory(folderOrPackage)) {
                pkg = work.resolve("template.tar.gz");
                publisher.pack(folderOrPackage, pkg);
            }
            SafeExtractor ex = new SafeExtractor(limits);
            SafeExtractor.Scan scan = ex.scan(pkg);
            if (scan.manifest() == null) {
                throw new io.vboxmcp.ArchiveException("package " + pkg.getFileName() + " has no " + Manifest.FILE_NAME);
            }
            Manifest m = Manifest.parse(scan.manifest());
            Path files = work.resolve("files");
            ex.extract(pkg, m, scan, files);  // every file checked against the manifest
            TemplateDefinition d = loader.load(files);
            if (!d.name().equals(m.name()) || !d.version().equals(m.version())) {
                throw new VboxmcpException(ErrorCode.TEMPLATE_INVALID, "the manifest names " + m.name() + " " + m.version()
                        + " but the template says " + d.name() + " " + d.version());
            }
            List<DetachedSignature> sigs = new ArrayList<>();
            if (scan.openPgpSignature() != null) {
                sigs.add(new DetachedSignature("openpgp", scan.openPgpSignature(), Manifest.OPENPGP_SIGNATURE));
            }
            if (scan.sshSignature() != null) {
                sigs.add(new DetachedSignature("ssh", scan.sshSignature(), Manifest.SSH_SIGNATURE));
            }
            return dest.publish(new TemplatePublication(d.name(), d.version(), d.description(), d.metadata().tags(),
                    d.author(), m.digest(), pkg, sigs));
        } finally {
            delete(work);
        }
    }

    InstalledTemplate install(TemplateRef ref) throws VboxmcpException {
        List<TemplateSource> remote = sources.stream().filter(s -> !LocalRepository.SOURCE_ID.equals(s.config().id())).toList();
        Resolver.Resolution r = new Resolver(remote).resolve(ref);
        Path work = work("install-");
        try {
            FetchedTemplate f = r.source().fetch(ref.name(), r.version(), Files.createDirectories(work.resolve("fetch")));
            return installVerified(f, work);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot create a work folder: " + e.getMessage(), e);
        } finally {
            delete(work);
        }
    }

    InstalledTemplate install(URI reference) throws VboxmcpException {
        String s = reference.toString();
        int slash = s.lastIndexOf('/');
        if (slash < 0 || !s.contains("@sha256:")) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + s + "' is not SCHEME://HOST/NAMESPACE/NAME@sha256:<hex>");
        }
        URI location = URI.create(s.substring(0, slash));
        Path work = work("install-");
        try (TemplateSource src = registry.createSource(configFor(location, SHARE_SOURCE), ctx)) {
            FetchedTemplate f = src.fetchReference(s.substring(slash + 1), Files.createDirectories(work.resolve("fetch")));
            return installVerified(f, work);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot create a work folder: " + e.getMessage(), e);
        } finally {
            delete(work);
        }
    }

    /** Verifies under the delivering source's policy (signature before extraction), then installs the verified files. */
    private InstalledTemplate installVerified(FetchedTemplate f, Path work) throws VboxmcpException {
        TemplateTrust.VerifiedTemplate v = trust.verify(f, work.resolve("verified"));
        if (!v.directory().startsWith(work)) {
            throw new VboxmcpException(ErrorCode.INTERNAL, "source '" + f.sourceId() + "' delivered a folder, not a package");
        }
        // the signatures were judged under the delivering source's keys; the local repository would judge them again
        // under the keys pinned for 'local', so the installed copy keeps the manifest and drops the signatures
        try {
            Files.deleteIfExists(v.directory().resolve(Manifest.OPENPGP_SIGNATURE));
            Files.deleteIfExists(v.directory().resolve(Manifest.SSH_SIGNATURE));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot prepare the verified copy: " + e.getMessage(), e);
        }
        return repository.install(v.directory());
    }

    /** A configured source whose location covers {@code uri} lends its id (pinned keys) and options (credentials). */
    private SourceConfig configFor(URI uri, String fallbackId) {
        String u = uri.toString().replaceAll("/+$", "");
        for (TemplateSource s : sources) {
            String base = s.config().uri().toString().replaceAll("/+$", "");
            if (u.equals(base) || u.startsWith(base + "/")) {
                return new SourceConfig(s.config().id(), uri, 0, s.config().options());
            }
        }
        return new SourceConfig(fallbackId, uri, 0, Map.of());
    }

    private Path work(String prefix) throws VboxmcpException {
        Path w = home.resolve("tmp").resolve(prefix + UUID.randomUUID());
        try {
            Files.createDirectories(w);
            return w;
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot create " + w + ": " + e.getMessage(), e);
        }
    }

    private static void delete(Path p) {
        try {
            AtomicFiles.deleteTree(p);
        } catch (IOException ignored) {
            // a temporary folder under <home>/tmp
        }
    }
}
