package io.vboxmcp.core.internal.compose;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Violation;
import io.vboxmcp.core.internal.resolve.Resolver;
import io.vboxmcp.core.internal.template.TemplateDocument;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.verify.TemplateTrust;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.TemplateSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * The real {@link Fetcher}: the same sources, trust policy and loader as the template being created, each
 * component in its own folder under the create's work folder (removed with it).
 */
public final class SourceFetcher implements Fetcher {
    /** Verification as the create runs it (through the deny records, so a refusal names the source). */
    @FunctionalInterface
    public interface Verifier {
        TemplateTrust.VerifiedTemplate verify(String sourceId, FetchedTemplate fetched, Path into)
                throws VboxmcpException;
    }

    private final Resolver resolver;
    private final Verifier verifier;
    private final TemplateLoader loader;
    private final Path work;

    public SourceFetcher(List<TemplateSource> sources, Verifier verifier, TemplateLoader loader, Path work) {
        this.resolver = new Resolver(sources);
        this.verifier = verifier;
        this.loader = loader;
        this.work = work;
    }

    @Override
    public Resolver.Resolution choose(String name, Predicate<SemanticVersion> acceptable, String wanted)
            throws VboxmcpException {
        return resolver.resolve(name, acceptable, wanted);
    }

    @Override
    public Component fetch(String name, Resolver.Resolution at, Component.Role role) throws VboxmcpException {
        Path dir = work.resolve(name + "-" + at.version());
        FetchedTemplate fetched;
        try {
            Files.createDirectories(dir.resolve("fetch"));
            fetched = at.source().fetch(name, at.version(), dir.resolve("fetch"));
        } catch (IOException e) {
            throw new VboxmcpException(io.vboxmcp.ErrorCode.IO, "cannot create " + dir + ": " + e.getMessage(), e);
        }
        String sourceId = at.source().config().id();
        TemplateTrust.VerifiedTemplate verified = verifier.verify(sourceId, fetched, dir.resolve("verified"));
        Path file = verified.directory().resolve(TemplateLoader.FILE_NAME);
        TemplateDocument doc = loader.loadDocument(file);
        // ART-09 for components too: the document must be what the source delivered it as
        if (!doc.definition().name().equals(name) || !doc.definition().version().equals(at.version())) {
            throw new TemplateValidationException(List.of(new Violation(file.toString(), 0, 0, "", "the document says "
                    + doc.definition().coordinates() + " but source " + sourceId + " delivered it as " + name + "@"
                    + at.version())));
        }
        // a Git tag signature verifies the tree, not a manifest file: the verdict still names the pinned signer
        String signer = verified.signer() != null ? verified.signer()
                : verified.result() == null ? null : verified.result().signerFingerprint();
        return new Component(name, at.version(), role, sourceId, verified.manifestDigest(), signer, doc,
                verified.directory());
    }
}
