package io.vboxmcp.git.internal;

import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VerificationResult;
import io.vboxmcp.Violation;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.LargeObjectException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevTag;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks a version tag passes before any file of it is read: the tag object's own name, its target is a
 * commit, its signature against the keys pinned for the source (when signed tags are required), that it has not
 * moved since it was last accepted, and that the template document it holds names the tag's template and version.
 * Results are remembered per tag target. Not thread-safe; the source serialises its calls.
 */
final class TagInspector {
    private final GitMirror mirror;
    private final GitOptions options;
    private final LastSeenTags lastSeen;
    private final ProviderContext context;
    private final String sourceId;
    private final String display;
    private final Map<ObjectId, Inspected> inspected = new HashMap<>();

    /** A tag that passed every check; {@code signer} is null when none was verified. */
    record Inspected(TagEntry entry, RevCommit commit, ObjectId tagObject, String signer, String signatureFormat,
                     TemplateYaml yaml) {
    }

    TagInspector(GitMirror mirror, GitOptions options, LastSeenTags lastSeen, ProviderContext context, String sourceId,
                 String display) {
        this.mirror = mirror;
        this.options = options;
        this.lastSeen = lastSeen;
        this.context = context;
        this.sourceId = sourceId;
        this.display = display;
    }

    /** Verifies the tag (signature, shape, rollback), then reads the template document of its commit. */
    Inspected inspect(TagEntry entry) throws VboxmcpException {
        Inspected cached = inspected.get(entry.refTarget());
        if (cached != null && cached.entry().tagName().equals(entry.tagName())) {
            checkNotMoved(entry, cached.commit());
            return cached;
        }
        try (ObjectReader reader = mirror.repository().newObjectReader(); RevWalk rw = new RevWalk(reader)) {
            RevObject o = rw.parseAny(entry.refTarget());
            RevCommit commit;
            ObjectId tagObject = null;
            String signer = null;
            String format = null;
            if (o instanceof RevTag t) {
                tagObject = t.getId();
                if (!entry.tagName().equals(t.getTagName())) {
                    throw untrusted(entry, "the tag object is named '" + Printable.path(t.getTagName())
                            + "', not '" + entry.tagName() + "' (a tag copied under another name)");
                }
                if (t.getObject().getType() != Constants.OBJ_COMMIT) {
                    throw untrusted(entry, "the tag points to a " + Constants.typeString(t.getObject().getType())
                            + ", not a commit");
                }
                TagSignatures.Split split = TagSignatures.split(t.getRawBuffer());
                if (split == null) {
                    if (options.requireSignedTags()) {
                        throw untrusted(entry, "the tag is not signed and this source requires signed tags");
                    }
                } else {
                    SignatureVerifier.Check check = verify(entry, split);
                    if (check.valid()) {
                        signer = check.fingerprint();
                        format = split.format();
                    } else {
                        // a signature that does not verify (bad, or by a key not pinned here) is never "unsigned",
                        // even where unsigned tags are allowed: that would let a forger drop to the weaker rule
                        throw new SignatureVerificationException(ErrorCode.SIGNATURE_INVALID, result(split.format(),
                                "tag " + entry.tagName() + " of git source '" + sourceId + "': " + check.reason()));
                    }
                }
                try {
                    commit = rw.parseCommit(t.getObject());
                } catch (IncorrectObjectTypeException e) {
                    throw untrusted(entry, "the tag's target is not a commit");
                }
            } else if (o instanceof RevCommit c) {
                if (options.requireSignedTags()) {
                    throw untrusted(entry, "it is a lightweight tag; this source requires annotated, signed tags");
                }
                commit = c;
            } else {
                throw untrusted(entry, "the tag points to a " + Constants.typeString(o.getType()) + ", not a commit");
            }
            checkNotMoved(entry, commit);
            TemplateYaml yaml = readDocument(reader, rw, entry, commit);
            lastSeen.record(entry.tagName(), commit.name());
            Inspected i = new Inspected(entry, commit, tagObject, signer, format, yaml);
            inspected.put(entry.refTarget(), i);
            return i;
        } catch (MissingObjectException e) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "tag " + entry.tagName() + " of " + display
                    + " refers to a missing object: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read tag " + entry.tagName() + " of " + display + ": "
                    + e.getMessage(), e);
        }
    }

    private SignatureVerifier.Check verify(TagEntry entry, TagSignatures.Split split) throws VboxmcpException {
        if (split.format().equals(TagSignatures.X509)) {
            return SignatureVerifier.Check.invalid("X.509 (gpgsm) tag signatures are not supported");
        }
        List<TrustedKey> keys = context.trustedKeys(sourceId);
        SignatureVerifier verifier = context.verifier(split.format()).orElse(null);
        if (verifier == null) {
            if (options.requireSignedTags()) {
                throw new SignatureVerificationException(ErrorCode.UNTRUSTED, result(split.format(),
                        "tag " + entry.tagName() + ": no " + split.format() + " signature verifier is available"));
            }
            return SignatureVerifier.Check.invalid("no " + split.format() + " verifier");
        }
        try {
            // Git signs tags for namespace "git" (SSH); a signature made for another purpose must not pass here
            return verifier.verify(split.payload(), split.signature(), keys, Instant.now(), SignatureVerifier.GIT_NAMESPACE);
        } catch (RuntimeException e) {
            // a verifier must fail closed; treat a crash the same way
            return SignatureVerifier.Check.invalid("the verifier failed: " + e.getMessage());
        }
    }

    private void checkNotMoved(TagEntry entry, RevCommit commit) throws VboxmcpException {
        String before = lastSeen.commitOf(entry.tagName());
        if (before != null && !before.equals(commit.name())) {
            throw new VboxmcpException(ErrorCode.CONFLICT, "tag " + entry.tagName() + " of git source '" + sourceId
                    + "' now points to commit " + commit.name() + " but pointed to " + before
                    + " when it was last accepted; a released version must never move (force-push or rollback?)");
        }
    }

    private TemplateYaml readDocument(ObjectReader reader, RevWalk rw, TagEntry entry, RevCommit commit)
            throws IOException, VboxmcpException {
        String folder = entry.folderPath(options.subdirectory());
        String path = folder.isEmpty() ? TemplateYaml.FILE_NAME : folder + "/" + TemplateYaml.FILE_NAME;
        String label = path + " at tag " + entry.tagName();
        byte[] bytes;
        try (TreeWalk tw = TreeWalk.forPath(reader, path, rw.parseTree(commit.getTree()))) {
            if (tw == null) {
                throw new TemplateNotFoundException("tag " + entry.tagName() + " of git source '" + sourceId
                        + "' has no " + path);
            }
            if (tw.getFileMode(0) != FileMode.REGULAR_FILE && tw.getFileMode(0) != FileMode.EXECUTABLE_FILE) {
                throw new TemplateValidationException(List.of(new Violation(label, 0, 0, "",
                        "the template document must be a regular file")));
            }
            bytes = reader.open(tw.getObjectId(0), Constants.OBJ_BLOB).getCachedBytes(TemplateYaml.MAX_BYTES);
        } catch (LargeObjectException e) {
            throw new TemplateValidationException(List.of(new Violation(label, 0, 0, "",
                    "the document is larger than " + TemplateYaml.MAX_BYTES + " bytes")), e);
        }
        TemplateYaml y = TemplateYaml.read(bytes, label);
        List<Violation> problems = new ArrayList<>();
        if (entry.folder() != null && !entry.folder().equals(y.name())) {
            problems.add(new Violation(label, 0, 0, "/name", "name '" + y.name() + "' does not match the tag's folder '"
                    + entry.folder() + "'"));
        }
        if (!y.version().equals(entry.version())) {
            problems.add(new Violation(label, y.versionLine(), 0, "/version", "version " + y.version()
                    + " does not match tag " + entry.tagName() + " (" + entry.version() + ")"));
        }
        if (!problems.isEmpty()) {
            throw new TemplateValidationException(problems);
        }
        return y;
    }

    private SignatureVerificationException untrusted(TagEntry entry, String why) {
        return new SignatureVerificationException(ErrorCode.UNTRUSTED, result(null,
                "tag " + entry.tagName() + " of git source '" + sourceId + "' is refused: " + why));
    }

    private static VerificationResult result(String format, String reason) {
        // no manifest has been computed at this point: the tag is refused before any file is read
        return new VerificationResult(false, "", null, format, reason);
    }
}
