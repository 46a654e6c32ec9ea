package io.vboxmcp.spi;

import io.vboxmcp.SemanticVersion;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One template version delivered by a {@link TemplateSource}: either a folder of files or a package file,
 * plus the detached signatures found beside it. Core verifies it before reading or extracting anything.
 *
 * @param name        never null
 * @param version     never null
 * @param location    a folder (files as laid out) or a {@code .tar.gz} package, never null
 * @param signatures  detached signatures over the manifest, possibly empty, never null
 * @param sourceId    id of the delivering source, never null
 * @param remote      whether the source is remote (the default trust policy requires a signature)
 * @param provenance  human readable origin (for example {@code git tag v1.0.0 at 3f2a...}), never null
 * @param preVerifiedSigner fingerprint if the source already verified a signature against the pinned keys
 *                    (for example a signed Git tag), else null
 *
 * @since 0.2.0
 */
public record FetchedTemplate(String name, SemanticVersion version, Path location, List<DetachedSignature> signatures,
                              String sourceId, boolean remote, String provenance, String preVerifiedSigner) {
    /**
     * Checks the required components and copies the signatures.
     *
     * @param name        never null
     * @param version     never null
     * @param location    a folder (files as laid out) or a {@code .tar.gz} package, never null
     * @param signatures  detached signatures over the manifest, possibly empty, never null
     * @param sourceId    id of the delivering source, never null
     * @param remote      whether the source is remote (the default trust policy requires a signature)
     * @param provenance  human readable origin (for example {@code git tag v1.0.0 at 3f2a...}), never null
     * @param preVerifiedSigner fingerprint if the source already verified a signature against the pinned keys
     *                    (for example a signed Git tag), else null
     */
    public FetchedTemplate {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(location, "location");
        signatures = List.copyOf(signatures);
        Objects.requireNonNull(sourceId, "sourceId");
        Objects.requireNonNull(provenance, "provenance");
    }
}
