package io.vboxmcp.trust;

import java.util.List;
import java.util.Objects;

/**
 * What a publish left in the target.
 *
 * @param reference      the immutable reference of the published artifact ({@code oci://host/ns/name@sha256:...}),
 *                       never null
 * @param artifactDigest the digest of the published artifact (for OCI: the manifest's), never null
 * @param manifestDigest the template's identity, {@code sha256:<hex>} of its canonical manifest, never null
 * @param tags           tags that now point at the artifact, never null
 * @param signatures     how many signatures travel with it
 * @param unchanged      whether the exact same content was already published (nothing was written)
 *
 * @since 0.2.0
 */
public record PublishResult(String reference, String artifactDigest, String manifestDigest, List<String> tags,
                            int signatures, boolean unchanged) {
    /**
     * Checks the components (see the type's description).
     *
     * @param reference as described above
     * @param artifactDigest as described above
     * @param manifestDigest as described above
     * @param tags as described above
     * @param signatures as described above
     * @param unchanged as described above
     */
    public PublishResult {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(artifactDigest, "artifactDigest");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        tags = List.copyOf(tags);
    }
}
