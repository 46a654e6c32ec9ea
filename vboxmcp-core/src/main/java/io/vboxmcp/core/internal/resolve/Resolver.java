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
import java.util.function.Function;
import java.util.function.Predicate;
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
        return pick(ref.name(), ref.range()::highest, "'" + ref.range() + "'");
    }

    /**
     * The highest version every one of several ranges admits: one version per name across a composed template.
     *
     * @param wanted how the error names what was asked for, e.g. {@code "'^1.0' and '^2.0'"}
     */
    public Resolution resolve(String name, Predicate<SemanticVersion> acceptable, String wanted)
            throws VboxmcpException {
        return pick(name, versions -> versions.stream().filter(acceptable).max(SemanticVersion::compareTo), wanted);
    }

    private Resolution pick(String name, Function<List<SemanticVersion>, Optional<SemanticVersion>> pick,
                               String wanted) throws VboxmcpException {
        Map<String, List<SemanticVersion>> seen = new LinkedHashMap<>();
        Map<String, String> failures = new LinkedHashMap<>();
        VboxmcpException refusal = null;
        Resolution best = null;
        for (TemplateSource s : sources) {
            List<SemanticVersion> versions;
            try {
                versions = s.versions(name);
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
            Optional<SemanticVersion> v = pick.apply(versions);
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
            throw new TemplateNotFoundException(ErrorCode.TEMPLATE_NOT_FOUND, "no template named '" + name
                    + "' in any source (" + sources.stream().map(s -> s.config().id()).collect(Collectors.joining(", "))
                    + ")" + failed, null);
        }
        throw new TemplateNotFoundException(ErrorCode.VERSION_NOT_FOUND, "no version of '" + name + "' matches "
                + wanted + "; available: " + seen.entrySet().stream().map(e -> e.getValue().stream()
                .map(SemanticVersion::toString).collect(Collectors.joining(", ")) + " (in " + e.getKey() + ")")
                .collect(Collectors.joining("; ")) + failed, null);
    }
}
