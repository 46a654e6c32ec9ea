package io.vboxmcp.oci.internal;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.template.TemplateInfo;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a source with a signed index offers: the index's own entries, plus for each name a delegation covers, the
 * entries of the publisher a TUF-style lookup reaches. The lookup tries the root's delegations in order, depth first:
 * a delegation whose names do not cover the name is skipped; a role is visited once (cycles end, REG-04) and at most
 * {@value Delegations#MAX_DELEGATIONS} roles are visited ({@code TOO_LARGE}, REG-04); a role's metadata must be the
 * version the index lists (IDX-10, IDX-16), unexpired, and signed by the threshold of the keys of <em>the delegation
 * being followed</em> (REG-06); the first role listing the name answers; a terminating delegation that covers the
 * name ends the search below it (REG-05). A name listed only by roles the lookup does not reach (a publisher signing
 * another's names, REG-03, or one hidden by a terminating delegation, REG-05) is refused as {@code DELEGATION}.
 * Refusals are per name: one publisher's broken metadata does not hide the others'. Immutable once built.
 */
final class DelegatedView {
    private final IndexDocument effective;
    private final Map<String, IndexRefusedException> refused;

    private DelegatedView(IndexDocument effective, Map<String, IndexRefusedException> refused) {
        this.effective = effective;
        this.refused = Map.copyOf(refused);
    }

    /** Resolves every name against the trusted root, index and publisher metadata as of {@code now}. */
    static DelegatedView of(IndexTrust trust, IndexDocument index, Instant now) throws VboxmcpException {
        RootDocument root = trust.root();
        if (root.delegations().roles().isEmpty()) {
            return new DelegatedView(index, Map.of());
        }
        Lookup lookup = new Lookup(trust, index, now);
        Map<String, Set<String>> listedBy = new LinkedHashMap<>();
        for (String role : index.publishers().keySet()) {
            Optional<IndexTrust.Stored> s = trust.publisher(role);
            if (s.isPresent()) {
                s.get().document().entries().forEach(e -> listedBy.computeIfAbsent(e.name(), k -> new LinkedHashSet<>()).add(role));
            }
        }
        List<IndexDocument.Entry> entries = new ArrayList<>(index.entries());
        Map<String, IndexRefusedException> refused = new HashMap<>();
        for (var name : listedBy.entrySet()) {
            try {
                List<IndexDocument.Entry> found = lookup.find(name.getKey());
                if (found.isEmpty()) {
                    refused.put(name.getKey(), new IndexRefusedException(Reason.DELEGATION, name.getKey()
                            + " is listed by publisher " + String.join(", ", name.getValue()) + ", which the delegations do"
                            + " not lead to for this name (a publisher listing names it is not delegated, REG-03, or"
                            + " one behind a terminating delegation, REG-05)"));
                } else {
                    entries.addAll(found);
                }
            } catch (IndexRefusedException e) {
                refused.put(name.getKey(), e);
            }
        }
        return new DelegatedView(new IndexDocument(index.version(), index.expires(), List.copyOf(entries),
                index.removed(), index.publishers(), index.bytes()), refused);
    }

    long version() {
        return effective.version();
    }

    List<String> names() {
        return effective.names();
    }

    List<SemanticVersion> versions(String name) throws IndexRefusedException {
        check(name);
        return effective.versions(name);
    }

    Optional<String> digest(String name, SemanticVersion v) throws IndexRefusedException {
        check(name);
        return effective.digest(name, v);
    }

    List<TemplateInfo> infos(String sourceId) {
        return effective.infos(sourceId);
    }

    /** @return every name refused, with why, sorted by name */
    Map<String, IndexRefusedException> refusals() {
        return new java.util.TreeMap<>(refused);
    }

    private void check(String name) throws IndexRefusedException {
        IndexRefusedException e = refused.get(name);
        if (e != null) {
            throw new IndexRefusedException(e.reason(), e.getMessage());
        }
    }

    /** One lookup's walk over the delegation graph; a role's check is made once per delegation followed. */
    private static final class Lookup {
        private final IndexTrust trust;
        private final IndexDocument index;
        private final Instant now;
        private final Map<Delegations.Delegation, Object> checked = new IdentityHashMap<>();

        Lookup(IndexTrust trust, IndexDocument index, Instant now) {
            this.trust = trust;
            this.index = index;
            this.now = now;
        }

        private record Step(String from, Delegations.Delegation to) { }

        List<IndexDocument.Entry> find(String name) throws VboxmcpException {
            Deque<Step> stack = new ArrayDeque<>();
            push(stack, "root", trust.root().delegations());
            Set<String> visited = new HashSet<>();
            while (!stack.isEmpty()) {
                Step s = stack.pop();
                if (!s.to().covers(name) || !visited.add(s.to().name())) {
                    continue;  // not this delegation's names, or a role already visited (a cycle, REG-04)
                }
                if (visited.size() > Delegations.MAX_DELEGATIONS) {
                    throw new IndexRefusedException(Reason.TOO_LARGE, "looking up " + name + " visits more than "
                            + Delegations.MAX_DELEGATIONS + " delegations (REG-04)");
                }
                PublisherDocument doc = verified(s);
                List<IndexDocument.Entry> found = doc.entriesOf(name);
                if (!found.isEmpty()) {
                    return found;
                }
                if (s.to().terminating()) {
                    stack.clear();  // nothing after a terminating delegation is asked for this name (REG-05)
                }
                push(stack, doc.role(), doc.delegations());
            }
            return List.of();
        }

        private static void push(Deque<Step> stack, String from, Delegations ds) {
            for (int i = ds.roles().size() - 1; i >= 0; i--) {
                stack.push(new Step(from, ds.roles().get(i)));
            }
        }

        private PublisherDocument verified(Step s) throws VboxmcpException {
            Object memo = checked.get(s.to());
            if (memo == null) {
                try {
                    memo = check(s);
                } catch (IndexRefusedException e) {
                    memo = e;
                }
                checked.put(s.to(), memo);
            }
            if (memo instanceof IndexRefusedException e) {
                throw new IndexRefusedException(e.reason(), e.getMessage());
            }
            return (PublisherDocument) memo;
        }

        private PublisherDocument check(Step s) throws VboxmcpException {
            String role = s.to().name();
            IndexDocument.PublisherRef listed = index.publishers().get(role);
            Optional<IndexTrust.Stored> stored = trust.publisher(role);
            if (listed == null || stored.isEmpty()) {
                throw new IndexRefusedException(Reason.INCONSISTENT, "index " + index.version() + " lists no metadata of "
                        + "publisher " + role + (listed == null ? "" : " that could be fetched") + " (IDX-16)");
            }
            PublisherDocument doc = stored.get().document();
            if (doc.version() != listed.version() || !Digests.sha256(doc.bytes()).equals(listed.digest())) {
                // the index moved on and this publisher could not follow: its old metadata is not mixed in
                throw new IndexRefusedException(Reason.INCONSISTENT, "publisher " + role + " is trusted at version "
                        + doc.version() + " but index " + index.version() + " lists version " + listed.version()
                        + ", which could not be fetched (IDX-16, IDX-10)");
            }
            if (doc.expires().isBefore(now)) {
                throw new IndexRefusedException(Reason.EXPIRED, "publisher " + role + " version " + doc.version()
                        + " expired on " + doc.expires() + " (freeze, IDX-04)");
            }
            trust.threshold(doc.bytes(), stored.get().signatures(), s.to().keys(), s.to().threshold(), now,
                    "publisher " + role + " as delegated by " + s.from() + " (REG-06)");
            return doc;
        }
    }
}
