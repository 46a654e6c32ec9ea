package io.vboxmcp.core.internal.compose;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Violation;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.util.Json;
import io.vboxmcp.template.TemplateDefinition;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Composes a template with the bases it extends and the features it requires: resolution ({@link Graph}), the
 * lockfile rules, the merge ({@link Merger}) and the merged document validated again with the schema. Stateless
 * apart from its fetcher; one instance per create.
 */
public final class Composer {
    /** A merged document larger than this (as JSON) is refused: bases cannot multiply a template without bound. */
    public static final int MAX_MERGED_BYTES = 1 << 20;

    /** How a lockfile is used. */
    public enum Mode {
        /** Highest versions; a lockfile, if given, is ignored ({@code vboxmcp update}). */
        FRESH,
        /**
         * The lockfile's versions where they still satisfy the ranges (fresh resolution for the rest); a locked
         * version whose digest or signer changed is refused.
         */
        LOCKED,
        /** Fresh resolution, which must equal the lockfile exactly; every difference is listed. */
        FROZEN
    }

    /**
     * The result.
     *
     * @param template   the merged, validated definition
     * @param order      every component in merge order, the root last
     * @param provenance field label to the {@code name@version} it came from (empty if nothing was composed)
     * @param resolved   what resolution gave, as a lockfile without the image (the caller pins that)
     */
    public record Composition(TemplateDefinition template, List<Component> order, Map<String, String> provenance,
                              Lockfile resolved) {
        /** @return the bases and features, without the root */
        public List<Component> components() {
            return order.subList(0, order.size() - 1);
        }
    }

    private final Fetcher fetcher;
    private final TemplateLoader loader;

    public Composer(Fetcher fetcher, TemplateLoader loader) {
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        this.loader = Objects.requireNonNull(loader, "loader");
    }

    /**
     * @param root the template being created, verified and loaded
     * @param lock the lockfile to follow, null if there is none
     * @throws VboxmcpException {@link ErrorCode#CONFLICT} for a version conflict, a cycle or (frozen) an outdated
     *                          lockfile; {@link ErrorCode#RESOURCE_LIMIT} for too deep or too large a composition;
     *                          {@link ErrorCode#DIGEST_MISMATCH} or {@link ErrorCode#UNTRUSTED} for a locked template
     *                          whose content or signer changed; what fetch, verify and load throw for a component
     */
    public Composition compose(Component root, Lockfile lock, Mode mode) throws VboxmcpException {
        if (root.document().feature()) {
            throw new TemplateValidationException(List.of(new Violation(root.document().file(), 0, 0, "/kind",
                    root.coordinates() + " is a feature (kind: feature): templates that require it install it; it "
                            + "is not a VM on its own")));
        }
        if (mode == Mode.FROZEN && lock == null) {
            throw new VboxmcpException(ErrorCode.CONFLICT, "frozen mode needs a lockfile, and " + root.coordinates()
                    + " has none: write one with 'vboxmcp lock DIR' (or give CreateVmRequest.lockFile)");
        }
        Map<String, SemanticVersion> pins = new HashMap<>();
        if (mode == Mode.LOCKED && lock != null) {
            lock.entries().forEach(e -> pins.put(e.name(), e.version()));
        }
        List<Component> order = root.document().composed() ? new Graph(fetcher, pins).resolve(root) : List.of(root);
        Lockfile resolved = new Lockfile(root.name(), null, order.subList(0, order.size() - 1).stream()
                .map(Component::toApi).toList());
        if (mode == Mode.LOCKED && lock != null) {
            checkLocked(lock, order);
        }
        if (mode == Mode.FROZEN) {
            List<String> diffs = new java.util.ArrayList<>(lock.differences(
                    new Lockfile(resolved.template(), lock.image(), resolved.entries())));
            if (!lock.template().equals(root.name())) {
                diffs.add(0, "the lock is for template '" + lock.template() + "', not '" + root.name() + "'");
            }
            if (!diffs.isEmpty()) {
                throw new VboxmcpException(ErrorCode.CONFLICT, "the lockfile is outdated (frozen mode refuses to "
                        + "resolve otherwise); run 'vboxmcp update' to refresh it:\n  " + String.join("\n  ", diffs));
            }
        }
        if (!root.document().composed()) {
            return new Composition(root.document().definition(), order, Map.of(), resolved);
        }
        Merger.Result merged = Merger.merge(order);
        int size = Json.MAPPER.valueToTree(merged.tree()).toString().length();
        if (size > MAX_MERGED_BYTES) {
            throw new VboxmcpException(ErrorCode.RESOURCE_LIMIT, root.coordinates() + " merged with its " + (order.size()
                    - 1) + " bases and features is " + size + " bytes, more than the " + MAX_MERGED_BYTES + " allowed");
        }
        TemplateDefinition t = loader.validateComposed(root.coordinates() + " (composed from " + Graph.chain(
                order.subList(0, order.size() - 1)).replace(" → ", ", ") + ")", merged.tree());
        return new Composition(t, order, merged.provenance(), resolved);
    }

    private static void checkLocked(Lockfile lock, List<Component> order) throws VboxmcpException {
        for (Component c : order.subList(0, order.size() - 1)) {
            io.vboxmcp.template.TemplateComponent e = lock.entry(c.name()).orElse(null);
            if (e == null || !e.version().equals(c.version())) {
                continue;  // not locked, or the lock's version no longer fits the ranges: resolved afresh
            }
            if (!e.manifestDigest().equals(c.digest())) {
                throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, c.coordinates() + " from " + c.sourceId()
                        + " has manifest digest " + c.digest() + " but the lockfile pins " + e.manifestDigest()
                        + ": its content changed since the lock was written (tampered or re-published under the same "
                        + "version)");
            }
            if (!java.util.Objects.equals(e.signer(), c.signer())) {
                throw new VboxmcpException(ErrorCode.UNTRUSTED, c.coordinates() + " is signed by "
                        + (c.signer() == null ? "nobody" : c.signer()) + " but the lockfile pins signer "
                        + (e.signer() == null ? "none (unsigned)" : e.signer()));
            }
        }
    }
}
