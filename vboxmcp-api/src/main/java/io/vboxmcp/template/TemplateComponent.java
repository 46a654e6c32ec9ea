package io.vboxmcp.template;

import io.vboxmcp.SemanticVersion;

import java.util.Objects;

/**
 * One template a composed template was built from: a base it {@code extends} or a feature it {@code requires}
 * (directly or through another component), each resolved through the sources and verified by the trust policy.
 *
 * @param name           never null
 * @param version        the one version resolved for this name across the whole graph, never null
 * @param role           {@code "extends"} for a base, {@code "requires"} for a feature; never null
 * @param sourceId       the source it came from, never null
 * @param manifestDigest {@code sha256:} digest of its manifest, never null
 * @param signer         fingerprint of the key that signed it, null if unsigned (allowed by policy)
 *
 * @since 0.2.0
 */
public record TemplateComponent(String name, SemanticVersion version, String role, String sourceId,
                                String manifestDigest, String signer) {
    /**
     * Checks the required fields.
     *
     * @param name           never null
     * @param version        never null
     * @param role           never null
     * @param sourceId       never null
     * @param manifestDigest never null
     * @param signer         null if unsigned
     */
    public TemplateComponent {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(sourceId, "sourceId");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
    }

    /** @return {@code name@version} */
    public String coordinates() {
        return name + "@" + version;
    }
}
