package io.vboxmcp.core.internal.compose;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VersionRange;
import io.vboxmcp.Violation;
import io.vboxmcp.core.internal.resolve.Resolver;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Resolves the templates a root extends and requires, transitively, to exactly one version per name, and orders
 * them for merging: depth first, each component after everything it extends and requires (bases before features,
 * then document order), the root last.
 *
 * <p>A requirement the version chosen so far does not satisfy re-picks the highest version all requirements on that
 * name admit and walks the graph again (the choices made so far are kept as preferences); if none does, the
 * conflict is an error listing every requirement chain on that name. Cycles, depth and the number of components are
 * refused; the number of walks is bounded.
 */
final class Graph {
    /** Longest chain of extends/requires from the root. */
    static final int MAX_DEPTH = 8;
    /** Most components (bases and features) in one composition. */
    static final int MAX_COMPONENTS = 32;
    /** Most walks of the graph before resolution gives up. */
    static final int MAX_ROUNDS = 16;

    /** One requirement on a name and the chain of templates that led to it. */
    record Requirement(String name, VersionRange range, Component.Role role, String chain) { }

    private final Fetcher fetcher;
    /** Preferred versions: from the lockfile (locked mode), then from earlier walks. */
    private final Map<String, SemanticVersion> pins;
    private final Map<String, Component> fetched = new HashMap<>();

    Graph(Fetcher fetcher, Map<String, SemanticVersion> pins) {
        this.fetcher = fetcher;
        this.pins = new HashMap<>(pins);
    }

    /** @return the components in merge order, the root last */
    List<Component> resolve(Component root) throws VboxmcpException {
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Walk walk = new Walk();
            try {
                walk.visit(root, new ArrayList<>(List.of(root)));
                walk.order.add(root);
                return walk.order;
            } catch (Repick r) {
                pins.put(r.name, r.version);
            }
        }
        throw new VboxmcpException(ErrorCode.CONFLICT, "the versions of " + root.coordinates() + "'s bases and features "
                + "did not settle after " + MAX_ROUNDS + " attempts; pin exact versions in extends/requires");
    }

    /** A choice turned out wrong: walk again preferring this version. */
    private static final class Repick extends Exception {
        final String name;
        final SemanticVersion version;

        Repick(String name, SemanticVersion version) {
            super(null, null, false, false);
            this.name = name;
            this.version = version;
        }
    }

    private final class Walk {
        final List<Component> order = new ArrayList<>();
        final Map<String, Component> chosen = new LinkedHashMap<>();
        final Map<String, List<Requirement>> requirements = new LinkedHashMap<>();

        void visit(Component node, List<Component> path) throws VboxmcpException, Repick {
            List<TemplateRef> edges = new ArrayList<>(node.document().bases());
            int bases = edges.size();
            edges.addAll(node.document().requires());
            for (int i = 0; i < edges.size(); i++) {
                TemplateRef ref = edges.get(i);
                Component.Role role = i < bases ? Component.Role.BASE : Component.Role.FEATURE;
                String chain = chain(path) + " " + role.word() + " " + ref.name() + "@" + ref.range();
                for (Component c : path) {
                    if (c.name().equals(ref.name())) {
                        throw new VboxmcpException(ErrorCode.CONFLICT, "template cycle: " + chain(path.subList(
                                path.indexOf(c), path.size())) + " → " + ref.name() + " (" + chain + ")");
                    }
                }
                if (path.size() > MAX_DEPTH) {
                    throw new VboxmcpException(ErrorCode.RESOURCE_LIMIT, "templates nest deeper than " + MAX_DEPTH
                            + " levels: " + chain);
                }
                List<Requirement> reqs = requirements.computeIfAbsent(ref.name(), n -> new ArrayList<>());
                reqs.add(new Requirement(ref.name(), ref.range(), role, chain));
                Component existing = chosen.get(ref.name());
                if (existing != null) {
                    if (existing.role() != role) {
                        throw roleClash(ref.name(), reqs);
                    }
                    if (!ref.range().contains(existing.version())) {
                        throw new Repick(ref.name(), pick(ref.name(), reqs).version());
                    }
                    continue;  // the same piece required twice: installed once, where it was first needed
                }
                if (chosen.size() >= MAX_COMPONENTS) {
                    throw new VboxmcpException(ErrorCode.RESOURCE_LIMIT, "a composition may have at most "
                            + MAX_COMPONENTS + " bases and features; " + chain + " would add one more");
                }
                Resolver.Resolution at = pick(ref.name(), reqs);
                Component c = fetch(ref.name(), at, role);
                chosen.put(c.name(), c);
                checkKind(c, chain);
                path.add(c);
                visit(c, path);
                path.remove(path.size() - 1);
                order.add(c);
            }
        }

        private Resolver.Resolution pick(String name, List<Requirement> reqs) throws VboxmcpException {
            SemanticVersion pin = pins.get(name);
            if (pin != null && reqs.stream().allMatch(r -> r.range().contains(pin))) {
                try {
                    return fetcher.choose(name, pin::equals, "'" + pin + "'");
                } catch (TemplateNotFoundException gone) {
                    // the preferred version is gone (a lockfile older than the sources): resolve afresh below
                }
            }
            String wanted = reqs.stream().map(r -> "'" + r.range() + "'").distinct().collect(Collectors.joining(" and "));
            try {
                return fetcher.choose(name, v -> reqs.stream().allMatch(r -> r.range().contains(v)), wanted);
            } catch (TemplateNotFoundException e) {
                if (reqs.size() < 2 || e.code() != ErrorCode.VERSION_NOT_FOUND) {
                    throw e;
                }
                throw new VboxmcpException(ErrorCode.CONFLICT, "no single version of '" + name
                        + "' satisfies every requirement on it:\n" + reqs.stream().map(r -> "  " + r.chain())
                        .collect(Collectors.joining("\n")) + "\n" + e.getMessage());
            }
        }
    }

    private Component fetch(String name, Resolver.Resolution at, Component.Role role) throws VboxmcpException {
        String key = name + "@" + at.version() + "/" + at.source().config().id();
        Component c = fetched.get(key);
        if (c == null) {
            c = fetcher.fetch(name, at, role);
            fetched.put(key, c);
        }
        return c.role() == role ? c : new Component(c.name(), c.version(), role, c.sourceId(), c.digest(), c.signer(),
                c.document(), c.directory());
    }

    private static void checkKind(Component c, String chain) throws TemplateValidationException {
        if (c.role() == Component.Role.BASE && c.document().feature()) {
            throw kind(c, "is a feature (kind: feature): list it under requires, not extends (" + chain + ")");
        }
        if (c.role() == Component.Role.FEATURE && !c.document().feature()) {
            throw kind(c, "is not a feature (kind: feature): list it under extends, or mark it as a feature (" + chain
                    + ")");
        }
    }

    private static TemplateValidationException kind(Component c, String why) {
        return new TemplateValidationException(List.of(new Violation(c.document().file(), 0, 0, "/kind",
                c.coordinates() + " " + why)));
    }

    private static VboxmcpException roleClash(String name, List<Requirement> reqs) {
        return new VboxmcpException(ErrorCode.CONFLICT, "'" + name + "' is both extended and required:\n"
                + reqs.stream().map(r -> "  " + r.chain()).collect(Collectors.joining("\n")));
    }

    static String chain(List<Component> path) {
        return path.stream().map(Component::coordinates).collect(Collectors.joining(" → "));
    }

    static Optional<Component> find(List<Component> order, String name) {
        return order.stream().filter(c -> c.name().equals(name)).findFirst();
    }
}
