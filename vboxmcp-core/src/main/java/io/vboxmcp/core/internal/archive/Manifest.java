package io.vboxmcp.core.internal.archive;

import io.vboxmcp.template.rules.internal.PathRules;
import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.core.internal.util.Digests;
import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.trust.TemplatePublisher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The canonical manifest of a template: name, version and every file with size and SHA-256. Its digest is the
 * template's identity, the same for a folder, a Git tree or a package; signatures sign exactly {@link #bytes()}.
 *
 * <pre>
 * vboxmcp-manifest 1
 * name python-dev
 * version 1.0.0
 * &lt;sha256 hex&gt; &lt;size&gt; &lt;path&gt;      one line per file, sorted by the UTF-8 bytes of path (LC_ALL=C sort)
 * </pre>
 * UTF-8, LF line ends, a final LF, nothing else. The manifest and its signature files at the root are not listed.
 * Immutable and thread-safe.
 */
public final class Manifest {
    public static final String FILE_NAME = TemplatePublisher.MANIFEST_FILE;
    public static final String OPENPGP_SIGNATURE = TemplatePublisher.OPENPGP_SIGNATURE_FILE;
    public static final String SSH_SIGNATURE = TemplatePublisher.SSH_SIGNATURE_FILE;
    /** Files that are never listed: the manifest and the signatures over it. */
    public static final Set<String> TRUST_FILES = Set.of(FILE_NAME, OPENPGP_SIGNATURE, SSH_SIGNATURE);

    static final String HEADER = "vboxmcp-manifest 1";
    public static final int MAX_BYTES = 16 * 1024 * 1024;
    static final int MAX_ENTRIES = 100_000;
    private static final Pattern NAME = Pattern.compile("[!-~]{1,128}");
    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) (0|[1-9][0-9]{0,18}) (.+)");

    /** One listed file. */
    public record Entry(String path, long size, String sha256) {
        public Entry {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(sha256, "sha256");
        }
    }

    private final String name;
    private final SemanticVersion version;
    private final List<Entry> entries;
    private final Map<String, Entry> byPath;
    private final byte[] bytes;
    private final String digest;

    private Manifest(String name, SemanticVersion version, List<Entry> entries, byte[] bytes) {
        this.name = name;
        this.version = version;
        this.entries = List.copyOf(entries);
        Map<String, Entry> m = new LinkedHashMap<>();
        for (Entry e : entries) m.put(e.path(), e);
        this.byPath = m;
        this.bytes = bytes;
        this.digest = Digests.PREFIX + Digests.sha256Hex(bytes);
    }

    /**
     * Lists and hashes every file of a folder.
     *
     * @throws ArchiveException if the folder holds symlinks, special files, {@code .git} or unsafe names
     */
    public static Manifest compute(String name, SemanticVersion version, Path dir) throws VboxmcpException {
        List<String> paths = listFiles(dir).keySet().stream().toList();
        List<Entry> entries = new ArrayList<>(paths.size());
        for (String p : paths) {
            try {
                Digests.Hashed h = Digests.sha256File(dir.resolve(p));
                entries.add(new Entry(p, h.size(), h.hex()));
            } catch (IOException e) {
                throw new VboxmcpException(ErrorCode.IO, "cannot read " + p + ": " + e.getMessage(), e);
            }
        }
        return of(name, version, entries);
    }

    /** @throws ArchiveException if a name, path or the set of entries is not valid */
    public static Manifest of(String name, SemanticVersion version, List<Entry> entries) throws ArchiveException {
        checkName(name);
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort((a, b) -> PathRules.compareUtf8(a.path(), b.path()));
        checkEntries(sorted);
        StringBuilder b = new StringBuilder(64 + sorted.size() * 100);
        b.append(HEADER).append('\n');
        b.append("name ").append(name).append('\n');
        b.append("version ").append(version).append('\n');
        for (Entry e : sorted) {
            b.append(e.sha256()).append(' ').append(e.size()).append(' ').append(e.path()).append('\n');
        }
        return new Manifest(name, version, sorted, b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Parses a manifest strictly: anything that is not exactly the canonical form is refused.
     *
     * @throws ArchiveException if the bytes are not a canonical manifest
     */
    public static Manifest parse(byte[] data) throws ArchiveException {
        if (data.length > MAX_BYTES) throw malformed("larger than " + MAX_BYTES + " bytes");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            throw malformed("not UTF-8");
        }
        if (!text.endsWith("\n")) throw malformed("does not end with a newline");
        if (text.indexOf('\r') >= 0) throw malformed("has carriage returns");
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (lines.length < 3 || !lines[0].equals(HEADER)) throw malformed("first line is not '" + HEADER + "'");
        if (!lines[1].startsWith("name ")) throw malformed("second line is not 'name <name>'");
        if (!lines[2].startsWith("version ")) throw malformed("third line is not 'version <version>'");
        String name = lines[1].substring(5);
        SemanticVersion version;
        try {
            version = SemanticVersion.parse(lines[2].substring(8));
        } catch (VersionFormatException e) {
            throw malformed("version: " + e.getMessage());
        }
        if (lines.length - 3 > MAX_ENTRIES) throw malformed("lists more than " + MAX_ENTRIES + " files");
        List<Entry> entries = new ArrayList<>(lines.length - 3);
        for (int i = 3; i < lines.length; i++) {
            Matcher m = LINE.matcher(lines[i]);
            if (!m.matches()) throw malformed("line " + (i + 1) + " is not '<sha256> <size> <path>'");
            long size;
            try {
                size = Long.parseLong(m.group(2));
            } catch (NumberFormatException e) {
                throw malformed("line " + (i + 1) + " has a size out of range");
            }
            entries.add(new Entry(m.group(3), size, m.group(1)));
        }
        Manifest parsed = of(name, version, entries);
        if (!Arrays.equals(parsed.bytes, data)) throw malformed("not in canonical form (files must be sorted by path)");
        return parsed;
    }

    /**
     * Compares a folder with this manifest: same set of files (trust files at the root excepted), same sizes, same
     * SHA-256. Sizes are checked for every file before anything is hashed.
     *
     * @return null if the folder matches, else one sentence saying the first difference
     * @throws ArchiveException if the folder holds something no template may hold
     */
    public String firstMismatch(Path dir) throws VboxmcpException {
        Map<String, Long> actual = listFiles(dir);
        for (Entry e : entries) {
            Long size = actual.get(e.path());
            if (size == null) return "file '" + Printable.path(e.path()) + "' listed in the manifest is missing";
            if (size != e.size()) return "file '" + Printable.path(e.path()) + "' has " + size + " bytes, the manifest says " + e.size();
        }
        for (String p : actual.keySet()) {
            if (!byPath.containsKey(p)) return "file '" + Printable.path(p) + "' is not listed in the manifest";
        }
        for (Entry e : entries) {
            try {
                Digests.Hashed h = Digests.sha256File(dir.resolve(e.path()));
                if (!h.hex().equals(e.sha256()) || h.size() != e.size()) {
                    return "file '" + Printable.path(e.path()) + "' does not match its sha256 in the manifest";
                }
            } catch (IOException ex) {
                throw new VboxmcpException(ErrorCode.IO, "cannot read " + e.path() + ": " + ex.getMessage(), ex);
            }
        }
        return null;
    }

    /**
     * Every regular file below {@code dir} (trust files at the root excepted) with its size, sorted; refuses what a
     * template may not hold.
     */
    static Map<String, Long> listFiles(Path dir) throws VboxmcpException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new ArchiveException("template folder " + dir + " is not a directory");
        }
        Map<String, Long> files = new HashMap<>();
        Map<String, String> collisions = new HashMap<>();
        ArchiveException[] problem = new ArchiveException[1];
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    if (d.equals(dir)) return FileVisitResult.CONTINUE;
                    return accept(d, false, 0) ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    String rel = relative(f);
                    if (attrs.isSymbolicLink()) return fail("symbolic link '" + Printable.path(rel) + "' (templates hold regular files only)");
                    if (!attrs.isRegularFile()) return fail("special file '" + Printable.path(rel) + "' (templates hold regular files only)");
                    if (TRUST_FILES.contains(rel)) return FileVisitResult.CONTINUE;
                    return accept(f, true, attrs.size()) ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
                }

                private boolean accept(Path p, boolean file, long size) {
                    String rel = relative(p);
                    String why = PathRules.problem(rel);
                    if (why != null) {
                        problem[0] = new ArchiveException("unsafe path '" + Printable.path(rel) + "': " + why);
                        return false;
                    }
                    String other = collisions.putIfAbsent(PathRules.collisionKey(rel), rel);
                    if (other != null) {
                        problem[0] = new ArchiveException("'" + Printable.path(rel) + "' and '" + Printable.path(other)
                                + "' collide on case-insensitive file systems");
                        return false;
                    }
                    if (file) {
                        if (files.size() >= MAX_ENTRIES) {
                            problem[0] = new ArchiveException("more than " + MAX_ENTRIES + " files");
                            return false;
                        }
                        files.put(rel, size);
                    }
                    return true;
                }

                private FileVisitResult fail(String msg) {
                    problem[0] = new ArchiveException(msg);
                    return FileVisitResult.TERMINATE;
                }

                private String relative(Path p) {
                    return dir.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
                }
            });
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (problem[0] != null) throw problem[0];
        Map<String, Long> sorted = new java.util.TreeMap<>(PathRules::compareUtf8);
        sorted.putAll(files);
        return sorted;
    }

    private static void checkName(String name) throws ArchiveException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw malformed("template name must be 1 to 128 printable ASCII characters without spaces");
        }
    }

    private static void checkEntries(List<Entry> sorted) throws ArchiveException {
        if (sorted.size() > MAX_ENTRIES) throw malformed("lists more than " + MAX_ENTRIES + " files");
        Map<String, String> keys = new HashMap<>();
        String prev = null;
        for (Entry e : sorted) {
            PathRules.check(e.path());
            if (TRUST_FILES.contains(e.path())) throw malformed("lists its own file '" + e.path() + "'");
            if (e.size() < 0) throw malformed("negative size for " + e.path());
            if (!e.sha256().matches("[0-9a-f]{64}")) throw malformed("bad sha256 for " + e.path());
            if (prev != null && PathRules.compareUtf8(prev, e.path()) == 0) throw malformed("lists '" + e.path() + "' twice");
            if (prev != null && e.path().startsWith(prev + "/")) throw malformed("'" + prev + "' is both a file and a folder");
            String other = keys.putIfAbsent(PathRules.collisionKey(e.path()), e.path());
            if (other != null) throw malformed("'" + e.path() + "' and '" + other + "' collide on case-insensitive file systems");
            prev = e.path();
        }
    }

    private static ArchiveException malformed(String why) {
        return new ArchiveException("malformed " + FILE_NAME + ": " + why);
    }

    public String name() {
        return name;
    }

    public SemanticVersion version() {
        return version;
    }

    /** @return the listed files, sorted by path */
    public List<Entry> entries() {
        return entries;
    }

    /** @return the entry for {@code path}, or null */
    public Entry entry(String path) {
        return byPath.get(path);
    }

    /** @return {@code sha256:<hex>} of {@link #bytes()} */
    public String digest() {
        return digest;
    }

    /** @return the canonical bytes, the exact bytes signatures sign (a copy) */
    public byte[] bytes() {
        return bytes.clone();
    }
}
