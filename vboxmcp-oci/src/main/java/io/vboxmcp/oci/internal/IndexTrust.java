package io.vboxmcp.oci.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The trusted root and index of one source, kept in a folder, and the rules a new one must pass before it replaces
 * them (TUF's client workflow, cut to two roles). Every check runs against one start time fixed by the caller
 * (IDX-06). A refused document leaves the folder untouched; an accepted one is written atomically with exactly the
 * bytes received (IDX-19, IDX-20). Not thread-safe: {@link SignedIndexes} serialises.
 */
final class IndexTrust {
    /** The SSHSIG namespace of root and index signatures: a template signature cannot stand in for one. */
    static final String NAMESPACE = "vboxmcp-index";
    static final int MAX_ROTATIONS = 256;
    static final String ROOT_FILE = "root.json";
    static final String INDEX_FILE = "index.json";
    /** Folder of each publisher's trusted metadata ({@code <role>.json}, exact bytes) and its signatures. */
    static final String PUBLISHERS = "publishers";

    private final Path dir;
    private final Function<String, Optional<SignatureVerifier>> verifiers;
    private RootDocument root;
    private IndexDocument index;
    private final Map<String, Stored> publishers = new HashMap<>();

    /** A publisher's trusted metadata and the signatures that came with it, checked at each lookup (REG-06). */
    record Stored(PublisherDocument document, List<DetachedSignature> signatures) { }

    /**
     * Opens the trusted state, bootstrapping it from {@code bootstrapRoot} when the folder has none. The bootstrap
     * root must be complete and signed by its own root threshold, checked before any network request (IDX-22).
     */
    IndexTrust(Path dir, Function<String, Optional<SignatureVerifier>> verifiers, byte[] bootstrapRoot,
               List<DetachedSignature> bootstrapSignatures, Instant now) throws VboxmcpException {
        this.dir = dir;
        this.verifiers = verifiers;
        Path stored = dir.resolve(ROOT_FILE);
        if (Files.isRegularFile(stored)) {
            root = RootDocument.parse(read(stored));
        } else {
            RootDocument r = RootDocument.parse(bootstrapRoot);
            threshold(r.bytes(), bootstrapSignatures, r.keysOf(r.root()), r.root().threshold(), now, "bootstrap root");
            AtomicWrite.write(stored, r.bytes());
            root = r;
        }
        Path idx = dir.resolve(INDEX_FILE);
        index = Files.isRegularFile(idx) ? IndexDocument.parse(read(idx)) : null;
    }

    RootDocument root() {
        return root;
    }

    Optional<IndexDocument> index() {
        return Optional.ofNullable(index);
    }

    /**
     * Accepts root N+1: it must say version N+1 (KEY-09, IDX-03), be signed by the old root's threshold (KEY-06) and
     * by its own (KEY-07, KEY-08). When the index keys change, the trusted index is dropped, so an index version an
     * attacker pushed up with a stolen key does not block the real one (IDX-11).
     */
    void rotateRoot(byte[] bytes, List<DetachedSignature> sigs, Instant start) throws VboxmcpException {
        RootDocument next = RootDocument.parse(bytes);
        if (next.version() != root.version() + 1) {
            throw new IndexRefusedException(Reason.WRONG_DOCUMENT, "root " + (root.version() + 1) + " says version "
                    + next.version() + "; roots are walked one version at a time (KEY-09)");
        }
        threshold(bytes, sigs, root.keysOf(root.root()), root.root().threshold(), start,
                "root " + next.version() + " by the keys of root " + root.version());
        threshold(bytes, sigs, next.keysOf(next.root()), next.root().threshold(), start,
                "root " + next.version() + " by its own keys");
        boolean indexKeysChanged = !next.index().keyIds().equals(root.index().keyIds());
        AtomicWrite.write(dir.resolve(ROOT_FILE), bytes);
        root = next;
        if (indexKeysChanged && index != null) {
            try {
                Files.deleteIfExists(dir.resolve(INDEX_FILE));
            } catch (IOException e) {
                throw new VboxmcpException(ErrorCode.IO, "cannot reset the trusted index: " + e.getMessage(), e);
            }
            index = null;
        }
    }

    /** @throws IndexRefusedException EXPIRED if the trusted root is expired at {@code start} */
    void checkRootFresh(Instant start) throws IndexRefusedException {
        if (root.expires().isBefore(start)) {
            throw new IndexRefusedException(Reason.EXPIRED, "the trusted root (version " + root.version()
                    + ") expired on " + root.expires() + "; the publisher must sign a new root (freeze, IDX-04)");
        }
    }

    /**
     * Accepts a new index: signed by the root's index threshold, not expired at {@code start} (IDX-04), not older
     * than the trusted one (IDX-01), not the same version with other bytes (IDX-02), and consistent with it
     * (IDX-07, IDX-08, REG-02). Only the root's keys sign the index: an index cannot bring keys of its own (REG-07).
     *
     * @return whether the trusted index changed
     */
    boolean updateIndex(byte[] bytes, List<DetachedSignature> sigs, Instant start) throws VboxmcpException {
        IndexDocument next = IndexDocument.parse(bytes);
        threshold(bytes, sigs, root.keysOf(root.index()), root.index().threshold(), start, "index " + next.version());
        if (index != null) {
            if (next.version() < index.version()) {
                throw new IndexRefusedException(Reason.ROLLBACK, "the registry serves index version " + next.version()
                        + " but version " + index.version() + " is trusted (rollback, IDX-01)");
            }
            if (next.version() == index.version()) {
                if (Arrays.equals(bytes, index.bytes())) {
                    return false;
                }
                throw new IndexRefusedException(Reason.ROLLBACK, "index version " + next.version()
                        + " was signed again with other content; the trusted one is kept (IDX-02)");
            }
        }
        if (next.expires().isBefore(start)) {
            throw new IndexRefusedException(Reason.EXPIRED, "index version " + next.version() + " expired on "
                    + next.expires() + "; refusing a stale view of the registry (freeze, IDX-04)");
        }
        for (IndexDocument.Entry e : next.entries()) {
            if (root.delegations().claims(e.name())) {
                // the (online) index key must not sign a publisher's names: only the publisher's keys do (REG-03)
                throw new IndexRefusedException(Reason.DELEGATION, "index " + next.version() + " lists " + e.key()
                        + ", a name the root delegates to a publisher; only that publisher's keys may list it (REG-03)");
            }
        }
        if (index != null) {
            next.checkSuccessorOf(index);
        }
        AtomicWrite.write(dir.resolve(INDEX_FILE), bytes);
        index = next;
        return true;
    }

    /** @return the trusted metadata of publisher {@code role}, if any */
    Optional<Stored> publisher(String role) throws VboxmcpException {
        if (!publishers.containsKey(role)) {
            Path doc = dir.resolve(PUBLISHERS).resolve(role + ".json");
            Path sigs = dir.resolve(PUBLISHERS).resolve(role + ".sigs.json");
            publishers.put(role, Files.isRegularFile(doc) && Files.isRegularFile(sigs)
                    ? new Stored(PublisherDocument.parse(read(doc)), StoredSignatures.parse(read(sigs))) : null);
        }
        return Optional.ofNullable(publishers.get(role));
    }

    /**
     * Accepts publisher {@code role}'s metadata as the trusted index lists it: the same role, exactly the version and
     * the bytes (SHA-256) the index names, so an older or other document cannot be combined with this index (IDX-10),
     * and not expired (IDX-04). Its signatures are kept and checked against the delegating role's keys at each lookup,
     * because which delegation leads to it depends on the name looked up (REG-06).
     *
     * @return whether the trusted metadata changed
     */
    boolean updatePublisher(String role, byte[] bytes, List<DetachedSignature> sigs, Instant start)
            throws VboxmcpException {
        IndexDocument.PublisherRef listed = index == null ? null : index.publishers().get(role);
        if (listed == null) {
            throw new IndexRefusedException(Reason.INCONSISTENT, "publisher " + role + " is not listed by the trusted index");
        }
        PublisherDocument next = PublisherDocument.parse(bytes);
        if (!next.role().equals(role) || next.version() != listed.version() || !Digests.sha256(bytes).equals(listed.digest())) {
            throw new IndexRefusedException(Reason.INCONSISTENT, "index " + index.version() + " lists publisher " + role
                    + " version " + listed.version() + " (" + listed.digest() + "); the registry sent " + next.role()
                    + " version " + next.version() + " (" + Digests.sha256(bytes) + "), which this index never listed "
                    + "(mix-and-match, IDX-10)");
        }
        if (next.expires().isBefore(start)) {
            throw new IndexRefusedException(Reason.EXPIRED, "publisher " + role + " version " + next.version()
                    + " expired on " + next.expires() + " (freeze, IDX-04)");
        }
        Optional<Stored> old = publisher(role);
        if (old.isPresent() && Arrays.equals(old.get().document().bytes(), bytes)) {
            return false;
        }
        if (old.isPresent() && old.get().document().version() < next.version()) {
            // a publisher's versions are as immutable as the index's own (REG-02, IDX-07, IDX-08)
            next.checkSuccessorOf(old.get().document());
        }
        // signatures first: a crash between the two writes leaves a document whose digest the index does not list,
        // which the next update fetches again
        AtomicWrite.write(dir.resolve(PUBLISHERS).resolve(role + ".sigs.json"), StoredSignatures.bytes(sigs));
        AtomicWrite.write(dir.resolve(PUBLISHERS).resolve(role + ".json"), bytes);
        publishers.put(role, new Stored(next, List.copyOf(sigs)));
        return true;
    }

    /**
     * Counts distinct keys of {@code keys} with a valid signature among {@code sigs}: one key counts once however
     * many signatures it made (KEY-03), a garbage signature next to enough valid ones is harmless (KEY-05).
     */
    void threshold(byte[] data, List<DetachedSignature> sigs, List<TrustedKey> keys, int threshold, Instant now,
                   String what) throws IndexRefusedException {
        Set<String> signers = new HashSet<>();
        for (DetachedSignature s : sigs) {
            Optional<SignatureVerifier> v = verifiers.apply(s.format());
            if (v.isEmpty()) {
                continue;
            }
            for (TrustedKey k : keys) {
                if (k.format().equals(s.format()) && !signers.contains(k.fingerprint())
                        && v.get().verify(data, s.bytes(), List.of(k), now, NAMESPACE).valid()) {
                    signers.add(k.fingerprint());
                }
            }
        }
        if (signers.size() < threshold) {
            throw new IndexRefusedException(Reason.THRESHOLD, what + ": " + signers.size() + " valid signature"
                    + (signers.size() == 1 ? "" : "s") + " by the required keys, " + threshold + " needed");
        }
    }

    private static byte[] read(Path p) throws VboxmcpException {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read " + p + ": " + e.getMessage(), e);
        }
    }

}
