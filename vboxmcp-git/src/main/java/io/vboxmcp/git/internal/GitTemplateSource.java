package io.vboxmcp.git.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VerificationResult;
import io.vboxmcp.Violation;
import io.vboxmcp.git.GitKeys;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.spi.TrustedKey;
import io.vboxmcp.template.TemplateInfo;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.LargeObjectException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevTag;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.SshSessionFactory;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;

/**
 * A template source backed by a Git repository. Versions are tags ({@code vX.Y.Z} for the template at the root,
 * {@code <name>/vX.Y.Z} for the template in folder {@code <name>}); the document inside must state the same name
 * and version. When signed tags are required, each tag is verified against the keys pinned for this source before
 * any of its files is read, and a tag that moved since it was last accepted is refused. Files are written from
 * blobs, never through a worktree. Thread-safe (public operations are serialised).
 */
final class GitTemplateSource implements TemplateSource {
    private static final String STEP = "git-sync";

    private final SourceConfig config;
    private final ProviderContext context;
    private final GitOptions options;
    private final boolean remote;
    private final URIish remoteUri;
    private final String display;
    private final Path cacheDir;
    private final GitMirror mirror;
    private final LastSeenTags lastSeen;
    private final Map<ObjectId, Inspected> inspected = new HashMap<>();
    private SshdSessionFactory sshFactory;
    private Instant syncedAt;
    private List<TagEntry> index = List.of();
    private List<String> vanished = List.of();
    private String singleName;
    private boolean singleNameKnown;
    private boolean closed;

    /** One version tag: {@code folder} is null for a template at the (sub)directory root. */
    record TagEntry(String tagName, String folder, SemanticVersion version, ObjectId refTarget) {
    }

    /** A tag that passed every check; {@code signer} is null when none was verified. */
    private record Inspected(TagEntry entry, RevCommit commit, ObjectId tagObject, String signer, String signatureFormat,
                             TemplateYaml yaml) {
    }

    private GitTemplateSource(SourceConfig config, ProviderContext context, GitOptions options, boolean remote,
                              URIish remoteUri, String display, Path cacheDir) throws VboxmcpException {
        this.config = config;
        this.context = context;
        this.options = options;
        this.remote = remote;
        this.remoteUri = remoteUri;
        this.display = display;
        this.cacheDir = cacheDir;
        this.mirror = new GitMirror(cacheDir, remoteUri, display, (int) options.timeout().toSeconds(),
                this::credentials, this::sshFactory);
        this.lastSeen = new LastSeenTags(cacheDir.resolve("last-seen.properties"));
    }

    static GitTemplateSource open(SourceConfig config, ProviderContext context) throws VboxmcpException {
        URI uri = config.uri();
        boolean local = GitOptions.isLocal(uri);
        if (uri.getRawUserInfo() != null && uri.getRawUserInfo().contains(":")) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "git source '" + config.id()
                    + "': the URI carries a password; give credentials with " + GitKeys.CREDENTIALS_ENV + " or "
                    + GitKeys.CREDENTIALS_FILE + " instead");
        }
        GitOptions options = GitOptions.parse(config, context, !local);
        String scheme = uri.getScheme() == null ? "file" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("http") && !options.allowInsecureHttp() && !isLoopback(uri.getHost())) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "git source '" + config.id()
                    + "': plain http is only allowed to this machine; use https or set " + GitKeys.ALLOW_INSECURE_HTTP);
        }
        URIish remoteUri;
        try {
            if (local) {
                Path p = Path.of(uri.getScheme() == null ? uri.getPath() : Path.of(uri).toString()).toAbsolutePath().normalize();
                remoteUri = new URIish(p.toString());
            } else {
                remoteUri = new URIish(uri.toString());
            }
        } catch (URISyntaxException | RuntimeException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "git source '" + config.id() + "': not a usable Git URI: "
                    + e.getMessage(), e);
        }
        String display = remoteUri.toString();
        Path cache = context.cacheDir("git").resolve(sha256(display));
        return new GitTemplateSource(config, context, options, !local, remoteUri, display, cache);
    }

    private static boolean isLoopback(String host) {
        if (host == null) return false;
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]") || h.equals("::1");
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public SourceConfig config() {
        return config;
    }

    @Override
    public boolean remote() {
        return remote;
    }

    /** @return where the local mirror lives (for tests and diagnostics) */
    Path mirrorDir() {
        return mirror.mirrorDir();
    }

    @Override
    public synchronized List<String> names() throws VboxmcpException {
        ensureFresh();
        TreeSet<String> out = new TreeSet<>();
        for (TagEntry e : index) {
            if (e.folder() != null) out.add(e.folder());
        }
        String single = singleName();
        if (single != null) out.add(single);
        return new ArrayList<>(out);
    }

    @Override
    public synchronized List<SemanticVersion> versions(String name) throws VboxmcpException {
        ensureFresh();
        TreeSet<SemanticVersion> out = new TreeSet<>((a, b) -> {
            int c = a.compareTo(b);
            return c != 0 ? c : a.toString().compareTo(b.toString());
        });
        boolean single = name.equals(singleName());
        for (TagEntry e : index) {
            if (name.equals(e.folder()) || (single && e.folder() == null)) out.add(e.version());
        }
        return new ArrayList<>(out);
    }

    @Override
    public synchronized List<TemplateInfo> describe() throws VboxmcpException {
        ensureFresh();
        List<TemplateInfo> out = new ArrayList<>();
        for (TagEntry e : index) {
            try {
                Inspected i = inspect(e);
                out.add(new TemplateInfo(i.yaml().name(), i.yaml().version(), i.yaml().description(), i.yaml().tags(),
                        config.id()));
            } catch (VboxmcpException refused) {
                info("not listing tag " + e.tagName() + ": " + refused.getMessage());
            }
        }
        saveLastSeen();
        return out;
    }

    @Override
    public synchronized FetchedTemplate fetch(String name, SemanticVersion version, Path workDir) throws VboxmcpException {
        ensureFresh();
        TagEntry entry = null;
        for (TagEntry e : index) {
            boolean nameMatches = name.equals(e.folder()) || (e.folder() == null && name.equals(singleName()));
            if (nameMatches && e.version().equals(version)) {
                entry = e;
                break;
            }
        }
        if (entry == null) {
            String gone = vanishedTag(name, version);
            throw new TemplateNotFoundException(ErrorCode.VERSION_NOT_FOUND, "git source '" + config.id() + "' has no tag for "
                    + name + " " + version + (gone == null ? "" : ": tag " + gone + " was accepted on this machine before "
                    + "and has been deleted upstream (IDX-08)"), null);
        }
        // verification, rollback and identity checks all happen here, before any file of the tag is read
        Inspected i = inspect(entry);
        if (!i.yaml().name().equals(name)) {
            throw new TemplateNotFoundException("tag " + entry.tagName() + " holds template '" + i.yaml().name()
                    + "', not '" + name + "'");
        }
        Repository repo = mirror.repository();
        List<DetachedSignature> signatures;
        try (ObjectReader reader = repo.newObjectReader(); RevWalk rw = new RevWalk(reader)) {
            RevTree tree = templateTree(reader, rw, i, entry);
            signatures = TemplateFiles.write(reader, tree, workDir, options.maxTemplateBytes(),
                    "git source '" + config.id() + "' tag " + entry.tagName());
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read tag " + entry.tagName() + " from the mirror of "
                    + display + ": " + e.getMessage(), e);
        }
        saveLastSeen();
        String provenance = "git tag " + entry.tagName() + (i.tagObject() == null ? "" : " (tag object " + i.tagObject().name() + ")")
                + " at commit " + i.commit().name() + " of " + display
                + (i.signer() == null ? "" : ", " + i.signatureFormat() + " signature by " + i.signer());
        return new FetchedTemplate(name, version, workDir, signatures, config.id(), remote, provenance, i.signer());
    }

    private RevTree templateTree(ObjectReader reader, RevWalk rw, Inspected i, TagEntry entry)
            throws IOException, VboxmcpException {
        RevTree root = rw.parseTree(i.commit().getTree());
        String folder = folderPath(entry);
        if (folder.isEmpty()) return root;
        try (TreeWalk tw = TreeWalk.forPath(reader, folder, root)) {
            if (tw == null || tw.getFileMode(0) != FileMode.TREE) {
                throw new TemplateNotFoundException("tag " + entry.tagName() + " has no folder '" + folder + "'");
            }
            return rw.parseTree(tw.getObjectId(0));
        }
    }

    /** @return the template's folder inside the repository, without trailing slash, empty for the root */
    private String folderPath(TagEntry e) {
        String sub = options.subdirectory();
        if (e.folder() == null) return sub;
        return sub.isEmpty() ? e.folder() : sub + "/" + e.folder();
    }

    // ---------------------------------------------------------------- sync and index

    private void ensureFresh() throws VboxmcpException {
        if (closed) throw new IllegalStateException("git source '" + config.id() + "' is closed");
        Instant now = Instant.now();
        if (syncedAt != null && (options.offline() || Duration.between(syncedAt, now).compareTo(options.refresh()) < 0)) {
            return;
        }
        sync();
    }

    /** Fetches (unless offline) and rebuilds the tag index. */
    synchronized void sync() throws VboxmcpException {
        long start = System.nanoTime();
        mirror.locked(() -> {
            if (options.offline()) {
                if (!mirror.exists()) {
                    throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "git source '" + config.id()
                            + "' is offline and has no local mirror of " + display + " yet");
                }
                Instant at = mirror.lastFetched();
                info("offline: serving " + display + " from the local mirror" + (at == null ? "" : " last updated " + at));
            } else {
                mirror.fetch();
            }
            lastSeen.reload();
            return null;
        });
        rebuildIndex();
        reportVanished();
        syncedAt = Instant.now();
        context.progress().onEvent(new ProgressEvent(ProgressEvent.Kind.STEP_FINISHED, null, STEP,
                "synced " + display + ": " + index.size() + " version tags", index.size(), index.size(),
                Duration.ofNanos(System.nanoTime() - start)));
    }

    private void rebuildIndex() throws VboxmcpException {
        Repository repo = mirror.repository();
        List<TagEntry> out = new ArrayList<>();
        try {
            for (Ref ref : repo.getRefDatabase().getRefsByPrefix(Constants.R_TAGS)) {
                String tag = ref.getName().substring(Constants.R_TAGS.length());
                Matcher m = options.tagPattern().matcher(tag);
                if (!m.matches() || ref.getObjectId() == null) continue;
                String v = m.group("version");
                if (v == null || !SemanticVersion.isValid(v)) continue;
                String folder = hasGroup(m, "name") ? m.group("name") : null;
                if (folder != null && !io.vboxmcp.TemplateRef.isValidName(folder)) continue;
                out.add(new TagEntry(tag, folder, SemanticVersion.parse(v), ref.getObjectId()));
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not list the tags of the mirror of " + display + ": " + e.getMessage(), e);
        }
        index = List.copyOf(out);
        singleNameKnown = false;
        singleName = null;
    }

    /**
     * A version tag this machine accepted before and that the remote no longer has (deleted upstream, so a range
     * would silently fall back to an older version): a warning event on every sync naming each one, and a
     * specific {@code VERSION_NOT_FOUND} when that exact version is asked for (IDX-08; see docs/git-sources.md).
     */
    private void reportVanished() {
        java.util.Set<String> present = new java.util.HashSet<>();
        for (TagEntry e : index) present.add(e.tagName());
        List<String> gone = new ArrayList<>();
        for (String tag : lastSeen.tags()) {
            if (!present.contains(tag) && options.tagPattern().matcher(tag).matches()) gone.add(tag);
        }
        gone.sort(null);
        vanished = List.copyOf(gone);
        if (!gone.isEmpty()) {
            warning("version tag" + (gone.size() == 1 ? " " : "s ") + String.join(", ", gone) + (gone.size() == 1 ? " was" : " were")
                    + " accepted on this machine before and " + (gone.size() == 1 ? "has" : "have") + " been deleted upstream; "
                    + "version ranges now resolve without " + (gone.size() == 1 ? "it" : "them") + " (IDX-08)");
        }
    }

    /** @return the vanished tag for {@code name@version}, or null */
    private String vanishedTag(String name, SemanticVersion version) throws VboxmcpException {
        for (String tag : vanished) {
            Matcher m = options.tagPattern().matcher(tag);
            if (!m.matches() || m.group("version") == null || !SemanticVersion.isValid(m.group("version"))) continue;
            String folder = hasGroup(m, "name") ? m.group("name") : null;
            boolean nameMatches = name.equals(folder) || (folder == null && name.equals(singleName()));
            if (nameMatches && SemanticVersion.parse(m.group("version")).equals(version)) return tag;
        }
        return null;
    }

    private static boolean hasGroup(Matcher m, String group) {
        try {
            return m.group(group) != null;
        } catch (IllegalArgumentException noSuchGroup) {
            return false;
        }
    }

    /** The name of the template at the root, read from the highest root tag that passes every check. */
    private String singleName() throws VboxmcpException {
        if (singleNameKnown) return singleName;
        List<TagEntry> roots = new ArrayList<>();
        for (TagEntry e : index) {
            if (e.folder() == null) roots.add(e);
        }
        roots.sort((a, b) -> b.version().compareTo(a.version()));
        String found = null;
        for (TagEntry e : roots) {
            try {
                found = inspect(e).yaml().name();
                break;
            } catch (VboxmcpException refused) {
                info("tag " + e.tagName() + " does not name the root template: " + refused.getMessage());
            }
        }
        singleName = found;
        singleNameKnown = true;
        saveLastSeen();
        return found;
    }

    // ---------------------------------------------------------------- verification

    /** Verifies the tag (signature, shape, rollback), then reads the template document of its commit. */
    private Inspected inspect(TagEntry entry) throws VboxmcpException {
        Inspected cached = inspected.get(entry.refTarget());
        if (cached != null && cached.entry().tagName().equals(entry.tagName())) {
            checkNotMoved(entry, cached.commit());
            return cached;
        }
        Repository repo = mirror.repository();
        try (ObjectReader reader = repo.newObjectReader(); RevWalk rw = new RevWalk(reader)) {
            RevObject o = rw.parseAny(entry.refTarget());
            RevCommit commit;
            ObjectId tagObject = null;
            String signer = null;
            String format = null;
            if (o instanceof RevTag t) {
                tagObject = t.getId();
                if (!entry.tagName().equals(t.getTagName())) {
                    throw untrusted(entry, "the tag object is named '" + TemplateFiles.printable(t.getTagName())
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
                    } else if (options.requireSignedTags()) {
                        throw new SignatureVerificationException(ErrorCode.SIGNATURE_INVALID, result(entry, split.format(),
                                "tag " + entry.tagName() + " of git source '" + config.id() + "': " + check.reason()));
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
        List<TrustedKey> keys = context.trustedKeys(config.id());
        SignatureVerifier verifier = context.verifier(split.format()).orElse(null);
        if (verifier == null) {
            if (options.requireSignedTags()) {
                throw new SignatureVerificationException(ErrorCode.UNTRUSTED, result(entry, split.format(),
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
            throw new VboxmcpException(ErrorCode.CONFLICT, "tag " + entry.tagName() + " of git source '" + config.id()
                    + "' now points to commit " + commit.name() + " but pointed to " + before
                    + " when it was last accepted; a released version must never move (force-push or rollback?)");
        }
    }

    private TemplateYaml readDocument(ObjectReader reader, RevWalk rw, TagEntry entry, RevCommit commit)
            throws IOException, VboxmcpException {
        String folder = folderPath(entry);
        String path = folder.isEmpty() ? TemplateYaml.FILE_NAME : folder + "/" + TemplateYaml.FILE_NAME;
        String label = path + " at tag " + entry.tagName();
        byte[] bytes;
        try (TreeWalk tw = TreeWalk.forPath(reader, path, rw.parseTree(commit.getTree()))) {
            if (tw == null) {
                throw new TemplateNotFoundException("tag " + entry.tagName() + " of git source '" + config.id()
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
        return new SignatureVerificationException(ErrorCode.UNTRUSTED, result(entry, null,
                "tag " + entry.tagName() + " of git source '" + config.id() + "' is refused: " + why));
    }

    private static VerificationResult result(TagEntry entry, String format, String reason) {
        // no manifest has been computed at this point: the tag is refused before any file is read
        return new VerificationResult(false, "", null, format, reason);
    }

    private void saveLastSeen() throws VboxmcpException {
        mirror.locked(() -> {
            lastSeen.save();
            return null;
        });
    }

    // ---------------------------------------------------------------- transport settings

    private CredentialsProvider credentials() {
        String scheme = remoteUri.getScheme() == null ? "" : remoteUri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http")) {
            return OriginBoundCredentials.none();
        }
        String secret = null;
        try {
            if (options.credentialsEnv() != null) {
                secret = System.getenv(options.credentialsEnv());
                if (secret == null || secret.isBlank()) {
                    throw new IllegalStateException("environment variable " + options.credentialsEnv() + " named by "
                            + GitKeys.CREDENTIALS_ENV + " is not set");
                }
            } else if (options.credentialsFile() != null) {
                List<String> lines = Files.readAllLines(options.credentialsFile(), StandardCharsets.UTF_8);
                secret = lines.isEmpty() ? null : lines.get(0).trim();
                if (secret == null || secret.isEmpty()) {
                    throw new IllegalStateException("credentials file " + options.credentialsFile() + " is empty");
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not read credentials file " + options.credentialsFile() + ": "
                    + e.getClass().getSimpleName(), e);
        }
        return secret == null ? OriginBoundCredentials.none()
                : OriginBoundCredentials.forOrigin(remoteUri, secret.trim(), options.username());
    }

    private synchronized SshSessionFactory sshFactory() {
        if (sshFactory == null) {
            Path home = cacheDir.resolve("ssh-home");
            try {
                Files.createDirectories(home.resolve(".ssh"));
            } catch (IOException e) {
                throw new IllegalStateException("could not create " + home + ": " + e.getMessage(), e);
            }
            Path key = options.sshKeyFile();
            Path knownHosts = options.knownHostsFile();
            sshFactory = new SshdSessionFactoryBuilder()
                    .setHomeDirectory(home.toFile())
                    .setSshDirectory(home.resolve(".ssh").toFile())
                    .setConfigFile(d -> null)
                    .setDefaultIdentities(d -> key == null ? List.of() : List.of(key))
                    .setDefaultKnownHostsFiles(d -> List.of(knownHosts))
                    .setPreferredAuthentications("publickey")
                    .build(null);
        }
        return sshFactory;
    }

    /** A warning: an INFO event whose message starts with "warning:", so every listener shows it as one. */
    private void warning(String message) {
        info("warning: " + message);
    }

    private void info(String message) {
        try {
            context.progress().onEvent(new ProgressEvent(ProgressEvent.Kind.INFO, null, STEP,
                    "git source '" + config.id() + "': " + message, -1, -1, Duration.ZERO));
        } catch (RuntimeException ignored) {
            // a listener must not break the source
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        mirror.close();
        if (sshFactory != null) {
            sshFactory.close();
        }
    }

    @Override
    public String toString() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", config.id());
        m.put("uri", display);
        m.put("offline", options.offline());
        return "GitTemplateSource" + m;
    }
}
