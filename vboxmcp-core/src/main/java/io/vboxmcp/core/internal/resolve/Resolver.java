package io.vboxmcp.core.internal.resolve;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.TemplateSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Finds the highest version matching a reference across the sources, consulted in order; on equal versions the
 * earlier source wins. A source that fails is skipped and named in the error if nothing matches elsewhere.
 */
public final class Resolver {
    public record Resolution(TemplateSource source, SemanticVersion version) { }

    /** Failures that are a source refusing what it was served, not the source being unreachable. */
    private static final java.util.Set<io.vboxmcp.ErrorCode> REFUSALS = java.util.EnumSet.of(ErrorCode.UNTRUSTED,
            ErrorCode.SIGNATURE_INVALID, ErrorCode.DIGEST_MISMATCH, ErrorCode.CONFLICT, ErrorCode.RESOURCE_LIMIT);

    private final List<TemplateSource> sources;

    public Resolver(List<TemplateSource> sources) {
        this.sources = List.copyOf(sources);
    }

    public Resolution resolve(TemplateRef ref) throws VboxmcpException {
        Map<String, List<SemanticVersion>> seen = new LinkedHashMap<>();
        Map<String, String> failures = new LinkedHashMap<>();
        VboxmcpException refusal = null;
        Resolution best = null;
        for (TemplateSource s : sources) {
            List<SemanticVersion> versions;
            try {
                versions = s.versions(ref.name());
            } catch (VboxmcpException e) {
                failures.put(s.config().id(), e.getMessage());
                if (refusal == null && REFUSALS.contains(e.code())) {
                    refusal = e;
                }
                continue;
            }
            if (!versions.isEmpty()) {
                seen.put(s.config().id(), versions);
            }
            Optional<SemanticVersion> v = ref.range().highest(versions);
            if (v.isPresent() && (best == null || v.get().compareTo(best.version()) > 0)) {
                best = new Resolution(s, v.get());
            }
        }
        if (best != null) {
            return best;
        }
        if (refusal != null) {
            // a source that refused an attack (a rolled-back index, a bad signature) keeps its typed error
            throw refusal;
        }
        String failed = failures.isEmpty() ? "" : "; sources that could not be read: " + failures.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + ")").collect(Collectors.joining(", "));
        if (seen.isEmpty()) {
            throw new TemplateNotFoundException(ErrorCode.TEMPLATE_NOT_FOUND, "no template named '" + ref.name()
                    + "' in any source (" + sources.stream().map(s -> s.config().id()).collect(Collectors.joining(", "))
                    + ")" + failed, null);
        }
        throw new TemplateNotFoundException(ErrorCode.VERSION_NOT_FOUND, "no version of '" + ref.name() + "' matches '"
                + ref.range() + "'; available: " + seen.entrySet().stream().map(e -> e.getValue().stream()
                .map(SemanticVersion::toString).collect(Collectors.joining(", ")) + " (in " + e.getKey() + ")")
                .collect(Collectors.joining("; ")) + failed, null);
    }
}
