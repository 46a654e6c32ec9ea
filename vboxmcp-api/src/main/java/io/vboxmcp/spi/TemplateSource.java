package io.vboxmcp.spi;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.template.TemplateInfo;

import java.nio.file.Path;
import java.util.List;

/**
 * A place templates come from: a local folder, a Git repository, a registry. Thread-safe.
 *
 * @since 0.2.0
 */
public interface TemplateSource extends AutoCloseable {
    /** @return the configuration this source was created from, never null */
    SourceConfig config();

    /** @return whether the source is remote (its templates must be signed under the default policy) */
    boolean remote();

    /**
     * @return every template name the source offers, never null
     * @throws VboxmcpException if the source cannot be read
     */
    List<String> names() throws VboxmcpException;

    /**
     * @param name never null
     * @return the versions of {@code name} the source offers, ascending; empty if none
     * @throws VboxmcpException if the source cannot be read
     */
    List<SemanticVersion> versions(String name) throws VboxmcpException;

    /**
     * @return summaries of every template version for listings and search; may read descriptions lazily
     * @throws VboxmcpException if the source cannot be read
     */
    List<TemplateInfo> describe() throws VboxmcpException;

    /**
     * Delivers one version's files into {@code workDir} (or points at them where they already are, read-only).
     *
     * @param name    never null
     * @param version never null, one of {@link #versions(String)}
     * @param workDir an empty folder the source may write into, deleted by the caller afterwards
     * @return the fetched template, never null
     * @throws io.vboxmcp.TemplateNotFoundException if the version does not exist
     * @throws io.vboxmcp.SignatureVerificationException if the source verifies its own transport signatures and
     *                                                  they fail (for example a Git tag)
     */
    FetchedTemplate fetch(String name, SemanticVersion version, Path workDir) throws VboxmcpException;

    /**
     * Delivers the template an immutable reference names ({@code name@sha256:<hex>} for an OCI source), for one-off
     * shares. Core verifies it exactly like {@link #fetch}.
     *
     * @param reference the source-relative reference, never null
     * @param workDir   an empty folder the source may write into, deleted by the caller afterwards
     * @return the fetched template, never null
     * @throws VboxmcpException {@code INVALID_ARGUMENT} if the source does not support references
     */
    default FetchedTemplate fetchReference(String reference, Path workDir) throws VboxmcpException {
        throw new VboxmcpException(io.vboxmcp.ErrorCode.INVALID_ARGUMENT, "source '" + config().id()
                + "' cannot fetch by reference");
    }

    /**
     * Publishes one packed template version into this source (a registry). Versions are immutable: publishing a
     * version again with other content is refused.
     *
     * @param publication never null
     * @return what the source now holds, never null
     * @throws VboxmcpException {@code CONFLICT} if the version exists with other content; {@code INVALID_ARGUMENT}
     *                          if the source does not accept publishing
     */
    default io.vboxmcp.trust.PublishResult publish(TemplatePublication publication) throws VboxmcpException {
        throw new VboxmcpException(io.vboxmcp.ErrorCode.INVALID_ARGUMENT, "source '" + config().id()
                + "' does not accept publishing");
    }

    @Override
    default void close() throws VboxmcpException {
    }
}
