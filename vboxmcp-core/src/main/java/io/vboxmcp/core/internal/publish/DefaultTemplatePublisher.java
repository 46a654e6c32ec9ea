package io.vboxmcp.core.internal.publish;

import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.archive.SafeExtractor;
import io.vboxmcp.core.internal.verify.OpenPgp;
import io.vboxmcp.core.internal.verify.PinnedKeyStore;
import io.vboxmcp.core.internal.verify.SshPrivateKeys;
import io.vboxmcp.core.internal.verify.SshSignatures;
import io.vboxmcp.core.internal.verify.TemplateTrust;
import java.nio.file.attribute.PosixFilePermissions;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TrustPolicy;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VerificationResult;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;
import io.vboxmcp.trust.TemplatePublisher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The author-facing {@link TemplatePublisher}: manifest, sign, pack, verify. Thread-safe (stateless). */
public final class DefaultTemplatePublisher implements TemplatePublisher {
    private static final String PUBLISHER_SOURCE = "publisher";
    private final Clock clock;

    public DefaultTemplatePublisher() {
        this(Clock.systemUTC());
    }

    /** @param clock dates signatures and judges key expiry, never null */
    public DefaultTemplatePublisher(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String writeManifest(Path dir, String name, SemanticVersion version) throws VboxmcpException {
        Manifest m = Manifest.compute(name, version, dir);
        writeAtomically(dir.resolve(Manifest.FILE_NAME), m.bytes());
        return m.digest();
    }

    @Override
    public Path signOpenPgp(Path dir, Path secretKeyFile, char[] passphrase) throws VboxmcpException {
        Manifest m = upToDateManifest(dir);
        byte[] sig;
        try {
            sig = OpenPgpSigner.sign(m.bytes(), readKeyFile(secretKeyFile), passphrase, clock.instant());
        } catch (IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot sign with " + secretKeyFile.getFileName() + ": " + e.getMessage(), e);
        }
        Path out = dir.resolve(Manifest.OPENPGP_SIGNATURE);
        writeAtomically(out, sig);
        return out;
    }

    @Override
    public Path signSsh(Path dir, Path privateKeyFile, char[] passphrase) throws VboxmcpException {
        Manifest m = upToDateManifest(dir);
        byte[] sig;
        try {
            sig = SshSignatures.sign(m.bytes(), SshPrivateKeys.read(readKeyFile(privateKeyFile), passphrase));
        } catch (IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot sign with " + privateKeyFile.getFileName() + ": " + e.getMessage(), e);
        }
        Path out = dir.resolve(Manifest.SSH_SIGNATURE);
        writeAtomically(out, sig);
        return out;
    }

    @Override
    public String pack(Path dir, Path out) throws VboxmcpException {
        return new Packager().pack(dir, out);
    }

    @Override
    public VerificationResult verify(Path folderOrPackage, List<Path> publicKeyFiles) throws VboxmcpException {
        if (publicKeyFiles.isEmpty()) throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "give at least one public key to verify against");
        List<TrustedKey> keys = new ArrayList<>();
        for (Path p : publicKeyFiles) {
            byte[] material = readKeyFile(p);
            try {
                keys.add(PinnedKeyStore.toTrustedKey(material));
            } catch (IllegalArgumentException e) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot use key " + p.getFileName() + ": " + e.getMessage(), e);
            }
        }
        TemplateTrust.Keys fixed = new TemplateTrust.Keys() {
            @Override
            public List<TrustedKey> keysFor(String sourceId) {
                return keys;
            }

            @Override
            public boolean hasSourceKeys(String sourceId) {
                return true;
            }
        };
        TemplateTrust trust = new TemplateTrust(fixed, TrustPolicy.requireSignedEverywhere(),
                Map.<String, SignatureVerifier>of(OpenPgp.FORMAT, new OpenPgp(), SshSignatures.FORMAT, new SshSignatures()),
                clock, new SafeExtractor());
        Manifest m = manifestOf(folderOrPackage);
        FetchedTemplate f = new FetchedTemplate(m.name(), m.version(), folderOrPackage, List.of(), PUBLISHER_SOURCE,
                true, "publisher verify " + folderOrPackage, null);
        return trust.verify(f, null, false).result();
    }

    private static Manifest manifestOf(Path folderOrPackage) throws VboxmcpException {
        if (Files.isDirectory(folderOrPackage, LinkOption.NOFOLLOW_LINKS)) {
            Path mf = folderOrPackage.resolve(Manifest.FILE_NAME);
            if (!Files.isRegularFile(mf, LinkOption.NOFOLLOW_LINKS)) {
                throw new io.vboxmcp.SignatureVerificationException(ErrorCode.UNTRUSTED,
                        new VerificationResult(false, "unknown", null, null, folderOrPackage + " has no " + Manifest.FILE_NAME + ", so it is not signed"));
            }
            try {
                return Manifest.parse(RegularFiles.read(mf, Manifest.MAX_BYTES));
            } catch (IOException e) {
                throw new VboxmcpException(ErrorCode.IO, "cannot read " + mf + ": " + e.getMessage(), e);
            }
        }
        SafeExtractor.Scan scan = new SafeExtractor().scan(folderOrPackage);
        if (scan.manifest() == null) throw new ArchiveException("package " + folderOrPackage.getFileName() + " has no " + Manifest.FILE_NAME);
        return Manifest.parse(scan.manifest());
    }

    private static Manifest upToDateManifest(Path dir) throws VboxmcpException {
        Path mf = dir.resolve(Manifest.FILE_NAME);
        if (!Files.isRegularFile(mf, LinkOption.NOFOLLOW_LINKS)) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, dir + " has no " + Manifest.FILE_NAME + "; write it first");
        }
        Manifest m;
        try {
            m = Manifest.parse(RegularFiles.read(mf, Manifest.MAX_BYTES));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read " + mf + ": " + e.getMessage(), e);
        }
        String mismatch = m.firstMismatch(dir);
        if (mismatch != null) {
            throw new VboxmcpException(ErrorCode.DIGEST_MISMATCH, "refusing to sign a stale manifest: " + mismatch);
        }
        return m;
    }

    private static byte[] readKeyFile(Path p) throws VboxmcpException {
        try {
            return RegularFiles.read(p, OpenPgp.MAX_KEY_BYTES);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot read key file " + p + ": " + e.getMessage(), e);
        }
    }

    static void writeAtomically(Path target, byte[] bytes) throws VboxmcpException {
        if (!RegularFiles.isRegularOrAbsent(target)) {
            throw new VboxmcpException(ErrorCode.CONFLICT, "cannot write " + target + ": it is " + RegularFiles.kind(target)
                    + ", not a regular file; nothing was written");
        }
        try {
            // world-readable like any published file, whatever the umask of the temp file was
            AtomicFiles.replace(target, bytes, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
