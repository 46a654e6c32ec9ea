package io.vboxmcp.core.internal.verify;

import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.spi.TrustedKey;
import io.vboxmcp.trust.KeyFileException;
import io.vboxmcp.trust.PinnedKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Pinned public keys under {@code <home>/trust/<sourceId>/} and {@code <home>/trust/global/}: OpenPGP keys as
 * {@code <FINGERPRINT>.asc}, SSH keys as {@code SHA256_<base64url>.pub}. File names are labels only: fingerprints
 * are always recomputed from the key material. Writes are atomic (temp + rename) under a file lock. Thread-safe.
 */
public final class PinnedKeyStore implements io.vboxmcp.trust.TrustStore {
    private static final Pattern SOURCE_ID = Pattern.compile(TemplateRef.NAME_PATTERN);
    private static final int MAX_KEY_FILE = OpenPgp.MAX_KEY_BYTES;
    private final Path root;
    private final Object jvmLock = new Object();

    /** @param home the manager's home folder; keys live in {@code home/trust} */
    public PinnedKeyStore(Path home) {
        this.root = home.resolve("trust");
    }

    /** @return the folder keys live in */
    public Path root() {
        return root;
    }

    /**
     * The keys that may sign templates of a source: its own and the global ones. Files that cannot be parsed are
     * skipped (they can never grant trust).
     */
    public List<TrustedKey> keysFor(String sourceId) throws VboxmcpException {
        checkId(sourceId);
        List<TrustedKey> out = new ArrayList<>();
        for (Loaded l : load(sourceId)) out.add(l.trusted());
        if (!GLOBAL.equals(sourceId)) {
            for (Loaded l : load(GLOBAL)) out.add(l.trusted());
        }
        return out;
    }

    /** @return whether keys are pinned for exactly this source (which then must be signed, whatever the policy) */
    public boolean hasSourceKeys(String sourceId) throws VboxmcpException {
        return !GLOBAL.equals(sourceId) && !load(sourceId).isEmpty();
    }

    @Override
    public PinnedKey add(String sourceId, Path publicKeyFile) throws VboxmcpException {
        checkId(sourceId);
        byte[] material;
        try {
            material = RegularFiles.read(publicKeyFile, MAX_KEY_FILE);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot read key file " + publicKeyFile + ": " + e.getMessage(), e);
        }
        Loaded parsed;
        try {
            parsed = parse(sourceId, material, looksLikeSsh(material));
        } catch (KeyCountException e) {
            throw new KeyFileException(e.found, "cannot pin " + publicKeyFile.getFileName() + ": " + e.getMessage() + "; nothing was pinned");
        } catch (IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot pin " + publicKeyFile.getFileName() + ": " + e.getMessage(), e);
        }
        Path dir = root.resolve(sourceId);
        Path target = dir.resolve(fileName(parsed.pinned()));
        try {
            withLock(() -> {
                AtomicFiles.write(target, parsed.trusted().material());
                return null;
            });
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot write " + target + ": " + e.getMessage(), e);
        }
        return parsed.pinned();
    }

    @Override
    public List<PinnedKey> list(String sourceId) throws VboxmcpException {
        checkId(sourceId);
        return load(sourceId).stream().map(Loaded::pinned).toList();
    }

    @Override
    public List<PinnedKey> listAll() throws VboxmcpException {
        List<PinnedKey> all = new ArrayList<>();
        if (!Files.isDirectory(root)) return all;
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path p : ds) {
                String id = p.getFileName().toString();
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) && SOURCE_ID.matcher(id).matches()) ids.add(id);
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot list " + root + ": " + e.getMessage(), e);
        }
        ids.sort(null);
        for (String id : ids) all.addAll(list(id));
        return all;
    }

    @Override
    public boolean remove(String sourceId, String fingerprint) throws VboxmcpException {
        checkId(sourceId);
        List<Loaded> keys = load(sourceId);
        try {
            return withLock(() -> {
                boolean removed = false;
                for (Loaded l : keys) {
                    if (sameFingerprint(l.pinned().fingerprint(), fingerprint)) {
                        Files.deleteIfExists(l.file());
                        removed = true;
                    }
                }
                return removed;
            });
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot remove key " + fingerprint + ": " + e.getMessage(), e);
        }
    }

    private static boolean sameFingerprint(String a, String b) {
        if (a.startsWith("SHA256:")) return a.equals(b.strip());
        return OpenPgp.normalizeFingerprint(a).equals(OpenPgp.normalizeFingerprint(b));
    }

    private record Loaded(Path file, PinnedKey pinned, TrustedKey trusted) {
    }

    private List<Loaded> load(String sourceId) throws VboxmcpException {
        Path dir = root.resolve(sourceId);
        List<Loaded> out = new ArrayList<>();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                boolean ssh = n.endsWith(".pub");
                if (n.startsWith(".") || !(ssh || n.endsWith(".asc")) || !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) continue;
                try {
                    if (Files.size(p) > MAX_KEY_FILE) continue;
                    Loaded l = parse(sourceId, Files.readAllBytes(p), ssh);
                    out.add(new Loaded(p, l.pinned(), l.trusted()));
                } catch (IllegalArgumentException | NoSuchFileException e) {
                    // unreadable or foreign files never grant trust; skipping them is failing closed
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read pinned keys in " + dir + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(l -> l.pinned().fingerprint()));
        return out;
    }

    private static Loaded parse(String sourceId, byte[] material, boolean ssh) {
        if (ssh) {
            SshPublicKeys.SshPublicKey k = SshPublicKeys.parseLine(material);
            byte[] line = (SshPublicKeys.line(k) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            PinnedKey pk = new PinnedKey(sourceId, SshSignatures.FORMAT, k.fingerprint(), k.type(), k.comment());
            return new Loaded(null, pk, new TrustedKey(SshSignatures.FORMAT, k.fingerprint(), line, k.comment()));
        }
        PGPPublicKeyRing ring = OpenPgp.readPublicKey(material);
        String fp = OpenPgp.fingerprint(ring.getPublicKey());
        String label = OpenPgp.primaryUserId(ring);
        byte[] armored;
        try {
            armored = OpenPgp.armoredPublicKey(ring);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot encode OpenPGP key: " + e.getMessage());
        }
        PinnedKey pk = new PinnedKey(sourceId, OpenPgp.FORMAT, fp, OpenPgp.algorithmName(ring.getPublicKey().getAlgorithm()), label);
        return new Loaded(null, pk, new TrustedKey(OpenPgp.FORMAT, fp, armored, label));
    }

    /** Parses a public key file (armored OpenPGP or one SSH line) into a key usable by the verifiers. */
    public static TrustedKey toTrustedKey(byte[] material) {
        return parse(GLOBAL, material, looksLikeSsh(material)).trusted();
    }

    private static boolean looksLikeSsh(byte[] material) {
        String head = new String(material, 0, Math.min(material.length, 40), java.nio.charset.StandardCharsets.ISO_8859_1).stripLeading();
        return head.startsWith("ssh-") || head.startsWith("ecdsa-") || head.startsWith("sk-");
    }

    private static String fileName(PinnedKey k) {
        if (k.format().equals(SshSignatures.FORMAT)) {
            return "SHA256_" + k.fingerprint().substring("SHA256:".length()).replace('+', '-').replace('/', '_') + ".pub";
        }
        return k.fingerprint() + ".asc";
    }

    private static void checkId(String sourceId) throws VboxmcpException {
        if (sourceId == null || !SOURCE_ID.matcher(sourceId).matches()) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + (sourceId == null ? "null" : Printable.path(sourceId))
                    + "' is not a source id (" + TemplateRef.NAME_PATTERN + ")");
        }
    }


    private interface IoAction<T> {
        T run() throws IOException;
    }

    private <T> T withLock(IoAction<T> action) throws IOException {
        synchronized (jvmLock) {
            Files.createDirectories(root);
            if (!RegularFiles.isRegularOrAbsent(root.resolve(".lock"))) {
                throw new IOException(root.resolve(".lock") + " is " + RegularFiles.kind(root.resolve(".lock")) + ", not a regular file");
            }
            try (FileChannel ch = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
                 FileLock ignored = ch.lock()) {
                return action.run();
            }
        }
    }
}
