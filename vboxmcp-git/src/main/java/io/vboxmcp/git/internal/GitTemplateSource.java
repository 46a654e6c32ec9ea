package io.vboxmcp.git.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.template.TemplateInfo;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.treewalk.TreeWalk;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A template source backed by a Git repository. Versions are tags ({@code vX.Y.Z} for the template at the root,
 * {@code <name>/vX.Y.Z} for the template in folder {@code <name>}); the document inside must state the same name
 * and version. When signed tags are required, each tag is verified against the keys pinned for this source before
 * any of its files is read, and a tag that moved since it was last accepted is refused. Files are written from
 * blobs, never through a worktree. Thread-safe (public operations are serialised).
 *
 * <p>The parts: {@link GitTransport} (URI checks, credentials, SSH), {@link GitMirror} (the bare mirror and its
 * fetch), {@link TagIndex} (sync and the version tags), {@link TagInspector} (the checks a tag passes before it is
 * read) and {@link TemplateTreeWriter} (writing a verified tag's files).
 */
final class GitTemplateSource implements TemplateSource {
    private final SourceConfig config;
    private final GitOptions options;
    private final boolean remote;
    private final String display;
    private final GitTransport transport;
    private final GitMirror mirror;
    private final LastSeenTags lastSeen;
    private final SourceEvents events;
    private final TagIndex index;
    private final TagInspector inspector;
    private String singleName;
    private boolean singleNameKnown;
    private boolean closed;

    private GitTemplateSource(SourceConfig config, ProviderContext context, GitOptions options, boolean remote,
                              URIish remoteUri, String display, Path cacheDir) throws VboxmcpException {
        this.config = config;
        this.options = options;
        this.remote = remote;
        this.display = display;
        this.transport = GitTransport.of(remoteUri, options, cacheDir.resolve("ssh-home"));
        this.mirror = new GitMirror(cacheDir, remoteUri, display, (int) options.timeout().toSeconds(),
                transport::credentials, transport::sshFactory);
        this.lastSeen = new LastSeenTags(cacheDir.resolve("last-seen.properties"));
        this.events = new SourceEvents(context, config.id());
        this.index = new TagIndex(mirror, options, lastSeen, events, config.id(), display);
        this.inspector = new TagInspector(mirror, options, lastSeen, context, config.id(), display);
    }

    static GitTemplateSource open(SourceConfig config, ProviderContext context) throws VboxmcpException {
        URI uri = config.uri();
        boolean local = GitOptions.isLocal(uri);
        GitTransport.refusePassword(config);
        GitOptions options = GitOptions.parse(config, context, !local);
        URIish remoteUri = GitTransport.remoteUri(config, options, local);
        String display = remoteUri.toString();
        Path cache = context.cacheDir("git").resolve(sha256(display));
        return new GitTemplateSource(config, context, options, !local, remoteUri, display, cache);
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
        for (TagEntry e : index.entries()) {
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
        for (TagEntry e : index.entries()) {
            if (name.equals(e.folder()) || (single && e.folder() == null)) out.add(e.version());
        }
        return new ArrayList<>(out);
    }

    @Override
    public synchronized List<TemplateInfo> describe() throws VboxmcpException {
        ensureFresh();
        List<TemplateInfo> out = new ArrayList<>();
        for (TagEntry e : index.entries()) {
            try {
                TagInspector.Inspected i = inspector.inspect(e);
                out.add(new TemplateInfo(i.yaml().name(), i.yaml().version(), i.yaml().description(), i.yaml().tags(),
                        config.id()));
            } catch (VboxmcpException refused) {
                events.info("not listing tag " + e.tagName() + ": " + refused.getMessage());
            }
        }
        saveLastSeen();
        return out;
    }

    @Override
    public synchronized FetchedTemplate fetch(String name, SemanticVersion version, Path workDir) throws VboxmcpException {
        ensureFresh();
        TagEntry entry = find(index.entries(), name, version);
        if (entry == null) {
            TagEntry gone = find(index.vanished(), name, version);
            throw new TemplateNotFoundException(ErrorCode.VERSION_NOT_FOUND, "git source '" + config.id() + "' has no tag for "
                    + name + " " + version + (gone == null ? "" : ": tag " + gone.tagName() + " was accepted on this machine "
                    + "before and has been deleted upstream (IDX-08)"), null);
        }
        // verification, rollback and identity checks all happen here, before any file of the tag is read
        TagInspector.Inspected i = inspector.inspect(entry);
        if (!i.yaml().name().equals(name)) {
            throw new TemplateNotFoundException("tag " + entry.tagName() + " holds template '" + i.yaml().name()
                    + "', not '" + name + "'");
        }
        List<DetachedSignature> signatures;
        try (ObjectReader reader = mirror.repository().newObjectReader(); RevWalk rw = new RevWalk(reader)) {
            RevTree tree = templateTree(reader, rw, i, entry);
            signatures = TemplateTreeWriter.write(reader, tree, workDir, options.maxTemplateBytes(),
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

    /** @return the entry of {@code name@version}; root tags match the root template's name (read lazily) */
    private TagEntry find(List<TagEntry> entries, String name, SemanticVersion version) throws VboxmcpException {
        for (TagEntry e : entries) {
            boolean nameMatches = name.equals(e.folder()) || (e.folder() == null && name.equals(singleName()));
            if (nameMatches && e.version().equals(version)) {
                return e;
            }
        }
        return null;
    }

    private RevTree templateTree(ObjectReader reader, RevWalk rw, TagInspector.Inspected i, TagEntry entry)
            throws IOException, VboxmcpException {
        RevTree root = rw.parseTree(i.commit().getTree());
        String folder = entry.folderPath(options.subdirectory());
        if (folder.isEmpty()) return root;
        try (TreeWalk tw = TreeWalk.forPath(reader, folder, root)) {
            if (tw == null || tw.getFileMode(0) != FileMode.TREE) {
                throw new TemplateNotFoundException("tag " + entry.tagName() + " has no folder '" + folder + "'");
            }
            return rw.parseTree(tw.getObjectId(0));
        }
    }

    private void ensureFresh() throws VboxmcpException {
        if (closed) throw new IllegalStateException("git source '" + config.id() + "' is closed");
        if (index.syncIfStale()) {
            singleNameKnown = false;
            singleName = null;
        }
    }

    /** The name of the template at the root, read from the highest root tag that passes every check. */
    private String singleName() throws VboxmcpException {
        if (singleNameKnown) return singleName;
        List<TagEntry> roots = new ArrayList<>();
        for (TagEntry e : index.entries()) {
            if (e.folder() == null) roots.add(e);
        }
        roots.sort((a, b) -> b.version().compareTo(a.version()));
        String found = null;
        for (TagEntry e : roots) {
            try {
                found = inspector.inspect(e).yaml().name();
                break;
            } catch (VboxmcpException refused) {
                events.info("tag " + e.tagName() + " does not name the root template: " + refused.getMessage());
            }
        }
        singleName = found;
        singleNameKnown = true;
        saveLastSeen();
        return found;
    }

    private void saveLastSeen() throws VboxmcpException {
        mirror.locked(() -> {
            lastSeen.save();
            return null;
        });
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        mirror.close();
        transport.close();
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
