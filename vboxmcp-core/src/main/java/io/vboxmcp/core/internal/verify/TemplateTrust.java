package io.vboxmcp.core.internal.verify;

import io.vboxmcp.core.internal.archive.Manifest;
import io.vboxmcp.core.internal.archive.SafeExtractor;
import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.TrustPolicy;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VerificationResult;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides whether a fetched template may be used, before any of its files is read as template content or extracted.
 * Order: manifest (strictly parsed, bound to the delivered name and version) → signatures over the manifest bytes
 * against the keys pinned for the source → every file against the manifest → (packages only) extraction into the
 * work dir. Nothing is remembered between calls: every use re-hashes (ART-05). Thread-safe.
 */
public final class TemplateTrust {
    /** Where keys come from; {@link PinnedKeyStore} in production. */
    public interface Keys {
        List<TrustedKey> keysFor(String sourceId) throws VboxmcpException;

        /** @return whether keys are pinned for exactly this source (it must then be signed whatever the policy) */
        boolean hasSourceKeys(String sourceId) throws VboxmcpException;
    }

    private final Keys keys;
    private final TrustPolicy policy;
    private final Map<String, SignatureVerifier> verifiers;
    private final Clock clock;
    private final SafeExtractor extractor;

    public TemplateTrust(Path home, TrustPolicy policy, Map<String, SignatureVerifier> verifiersByFormat, Clock clock) {
        this(home, policy, verifiersByFormat, clock, SafeExtractor.Limits.defaults());
    }

    /** @param limits the caps packages (and, through {@link TemplateFiles}, folders) get */
    public TemplateTrust(Path home, TrustPolicy policy, Map<String, SignatureVerifier> verifiersByFormat, Clock clock,
                         SafeExtractor.Limits limits) {
        this(storeKeys(new PinnedKeyStore(home)), policy, verifiersByFormat, clock, new SafeExtractor(limits));
    }

    public TemplateTrust(Keys keys, TrustPolicy policy, Map<String, SignatureVerifier> verifiersByFormat, Clock clock, SafeExtractor extractor) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.verifiers = Map.copyOf(verifiersByFormat);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.extractor = Objects.requireNonNull(extractor, "extractor");
    }

    public static Keys storeKeys(PinnedKeyStore store) {
        return new Keys() {
            @Override
            public List<TrustedKey> keysFor(String sourceId) throws VboxmcpException {
                return store.keysFor(sourceId);
            }

            @Override
            public boolean hasSourceKeys(String sourceId) throws VboxmcpException {
                return store.hasSourceKeys(sourceId);
            }
        };
    }

    /**
     * @param directory      the verified folder: the source's own folder, or the extraction inside {@code workDir}
     * @param manifestDigest {@code sha256:<hex>} of the canonical manifest
     * @param signer         fingerprint of the pinned key that signed, null for an unsigned template the policy allows
     * @param result         the full outcome for the audit record
     */
    public record VerifiedTemplate(Path directory, String manifestDigest, String signer, VerificationResult result) {
    }

    /**
     * Verifies (before extracting or reading any template file) and returns the verified folder; packages are
     * extracted into {@code workDir} only after verification.
     *
     * @throws SignatureVerificationException {@code UNTRUSTED} (unsigned where a signature is required, no pinned keys,
     *                                        name/version not the ones signed), {@code SIGNATURE_INVALID} (present
     *                                        but not verifying) or {@code DIGEST_MISMATCH} (files differ from the manifest)
     * @throws ArchiveException if the manifest or package is malformed or unsafe
     */
    public VerifiedTemplate verify(FetchedTemplate fetched, Path workDir) throws VboxmcpException {
        return verify(fetched, workDir, true);
    }

    public VerifiedTemplate verify(FetchedTemplate fetched, Path workDir, boolean extract) throws VboxmcpException {
        Path loc = fetched.location();
        if (Files.isDirectory(loc, LinkOption.NOFOLLOW_LINKS)) return verifyFolder(fetched);
        if (Files.isRegularFile(loc, LinkOption.NOFOLLOW_LINKS)) return verifyPackage(fetched, workDir, extract);
        throw new ArchiveException("template " + fetched.name() + "@" + fetched.version() + " is neither a folder nor a package: " + loc);
    }

    private VerifiedTemplate verifyFolder(FetchedTemplate f) throws VboxmcpException {
        Path dir = f.location();
        byte[] manifestBytes = readTrustFile(dir, Manifest.FILE_NAME, Manifest.MAX_BYTES);
        List<DetachedSignature> sigs = new ArrayList<>();
        addEmbedded(sigs, OpenPgp.FORMAT, readTrustFile(dir, Manifest.OPENPGP_SIGNATURE, OpenPgp.MAX_SIGNATURE_BYTES), Manifest.OPENPGP_SIGNATURE);
        addEmbedded(sigs, SshSignatures.FORMAT, readTrustFile(dir, Manifest.SSH_SIGNATURE, SshSignatures.MAX_SIGNATURE_BYTES), Manifest.SSH_SIGNATURE);
        sigs.addAll(f.signatures());
        if (manifestBytes == null) {
            Decision d = decide(f, null, "unknown", sigs);
            Manifest computed = Manifest.compute(f.name(), f.version(), dir);
            return new VerifiedTemplate(dir, computed.digest(), null, d.result(computed.digest()));
        }
        Manifest m = Manifest.parse(manifestBytes);
        checkBinding(f, m);
        Decision d = decide(f, manifestBytes, m.digest(), sigs);
        String mismatch = m.firstMismatch(dir);
        if (mismatch != null) throw refuse(ErrorCode.DIGEST_MISMATCH, m.digest(), mismatch);
        return new VerifiedTemplate(dir, m.digest(), d.signer(), d.result(m.digest()));
    }

    private VerifiedTemplate verifyPackage(FetchedTemplate f, Path workDir, boolean extract) throws VboxmcpException {
        Path pkg = f.location();
        SafeExtractor.Scan scan = extractor.scan(pkg);
        if (scan.manifest() == null) {
            throw new ArchiveException("package " + pkg.getFileName() + " has no " + Manifest.FILE_NAME + " at its root");
        }
        Manifest m = Manifest.parse(scan.manifest());
        checkBinding(f, m);
        List<DetachedSignature> sigs = new ArrayList<>();
        addEmbedded(sigs, OpenPgp.FORMAT, scan.openPgpSignature(), Manifest.OPENPGP_SIGNATURE);
        addEmbedded(sigs, SshSignatures.FORMAT, scan.sshSignature(), Manifest.SSH_SIGNATURE);
        sigs.addAll(f.signatures());
        Decision d = decide(f, scan.manifest(), m.digest(), sigs);
        // every listed file present with its declared size, nothing unlisted: refused before a byte is written
        for (Manifest.Entry e : m.entries()) {
            Long size = scan.files().get(e.path());
            if (size == null) throw refuse(ErrorCode.DIGEST_MISMATCH, m.digest(), "file '" + Printable.path(e.path()) + "' listed in the manifest is missing from the package");
            if (size != e.size()) throw refuse(ErrorCode.DIGEST_MISMATCH, m.digest(), "file '" + Printable.path(e.path()) + "' has " + size + " bytes, the manifest says " + e.size());
        }
        for (String p : scan.files().keySet()) {
            if (m.entry(p) == null) throw refuse(ErrorCode.DIGEST_MISMATCH, m.digest(), "file '" + Printable.path(p) + "' is not listed in the manifest");
        }
        Path target = extract ? workDir.resolve(m.name() + "-" + m.version()) : null;
        try {
            extractor.extract(pkg, m, scan, target);
        } catch (SignatureVerificationException e) {
            throw e;
        } catch (VboxmcpException e) {
            if (e.code() == ErrorCode.DIGEST_MISMATCH) throw refuse(ErrorCode.DIGEST_MISMATCH, m.digest(), e.getMessage());
            throw e;
        }
        return new VerifiedTemplate(target, m.digest(), d.signer(), d.result(m.digest()));
    }

    private record Decision(String signer, String format, String reason) {
        VerificationResult result(String digest) {
            return new VerificationResult(true, digest, signer, format, reason);
        }
    }

    /**
     * Counts valid signatures by distinct pinned keys (by fingerprint) against the source's threshold. A signature
     * that is present and invalid is tolerated only once the threshold is met; otherwise the refusal lists every
     * signature's outcome.
     */
    private Decision decide(FetchedTemplate f, byte[] manifestBytes, String digest, List<DetachedSignature> sigs) throws VboxmcpException {
        String what = f.name() + "@" + f.version() + " from source '" + f.sourceId() + "'";
        List<TrustedKey> pinned = keys.keysFor(f.sourceId());
        boolean sourcePinned = keys.hasSourceKeys(f.sourceId());
        int threshold = policy.threshold(f.sourceId());
        boolean required = policy.requiresSignature(f.sourceId(), f.remote()) || sourcePinned;
        if (sigs.isEmpty() && f.preVerifiedSigner() == null) {
            if (required) {
                throw refuse(ErrorCode.UNTRUSTED, digest, what + " is not signed, and " + (sourcePinned
                        ? "keys are pinned for that source, so it must be"
                        : threshold > 1 ? "the trust policy requires " + threshold + " signers for that source"
                        : "the trust policy requires signed templates from " + (f.remote() ? "remote" : "local") + " sources"));
            }
            return new Decision(null, null, "unsigned; the trust policy allows unsigned templates from source '" + f.sourceId() + "'");
        }
        Map<String, TrustedKey> distinctPinned = new LinkedHashMap<>();
        for (TrustedKey k : pinned) distinctPinned.putIfAbsent(normalize(k.fingerprint()), k);
        Map<String, Signer> accepted = new LinkedHashMap<>();
        List<String> outcomes = new ArrayList<>();
        if (f.preVerifiedSigner() != null) {
            TrustedKey k = distinctPinned.get(normalize(f.preVerifiedSigner()));
            if (k == null) {
                throw refuse(ErrorCode.UNTRUSTED, digest, what + ": the source reports signer " + f.preVerifiedSigner() + ", which is not pinned for it");
            }
            String label = "source verified a signature by pinned key " + k.fingerprint() + " (" + f.provenance() + ")";
            accepted.put(normalize(k.fingerprint()), new Signer(k.fingerprint(), k.format(), label));
            outcomes.add(label);
            if (threshold <= 1) return new Decision(k.fingerprint(), k.format(), label);
        }
        if (!sigs.isEmpty() && manifestBytes == null) {
            throw refuse(ErrorCode.SIGNATURE_INVALID, digest, what + " has signatures but no " + Manifest.FILE_NAME + " for them to sign");
        }
        if (pinned.isEmpty()) {
            throw refuse(ErrorCode.UNTRUSTED, digest, what + " is signed, but no key is pinned for that source (vboxmcp trust add)");
        }
        if (threshold > distinctPinned.size()) {
            throw refuse(ErrorCode.UNTRUSTED, digest, what + ": the trust policy requires signatures by " + threshold
                    + " distinct pinned keys, but only " + distinctPinned.size() + " distinct key" + (distinctPinned.size() == 1 ? " is" : "s are")
                    + " pinned for that source, so no template can meet it (KEY-02)");
        }
        List<DetachedSignature> single = new ArrayList<>();
        for (DetachedSignature s : sigs) single.addAll(SignatureFiles.split(s));
        if (single.size() > SignatureFiles.MAX_SIGNATURES) {
            throw refuse(ErrorCode.SIGNATURE_INVALID, digest, what + " carries " + single.size() + " signatures, more than the "
                    + SignatureFiles.MAX_SIGNATURES + " allowed; none was checked");
        }
        boolean anyInvalid = false;
        for (DetachedSignature s : single) {
            SignatureVerifier v = verifiers.get(s.format());
            if (v == null) {
                anyInvalid = true;
                outcomes.add(s.fileName() + ": no verifier for format '" + s.format() + "'");
                continue;
            }
            SignatureVerifier.Check c;
            try {
                c = v.verify(manifestBytes, s.bytes(), pinned, clock.instant());
            } catch (RuntimeException e) {
                c = SignatureVerifier.Check.invalid("verifier failed: " + e);
            }
            if (c == null) c = SignatureVerifier.Check.invalid("verifier returned no result");
            if (c.valid() && c.fingerprint() != null && !distinctPinned.containsKey(normalize(c.fingerprint()))) {
                c = SignatureVerifier.Check.invalid("the verifier accepted key " + c.fingerprint() + ", which is not pinned for this source");
            }
            if (!c.valid() || c.fingerprint() == null) {
                anyInvalid = true;
                outcomes.add(s.fileName() + ": " + c.reason());
                continue;
            }
            String key = normalize(c.fingerprint());
            if (accepted.containsKey(key)) {
                outcomes.add(s.fileName() + ": signed by pinned key " + c.fingerprint() + " again (counted once)");
            } else {
                accepted.put(key, new Signer(c.fingerprint(), s.format(), s.fileName()));
                outcomes.add(s.fileName() + ": signed by pinned key " + c.fingerprint());
            }
        }
        if (accepted.size() >= threshold) {
            Signer first = accepted.values().iterator().next();
            String reason;
            if (threshold == 1 && outcomes.size() == 1) {
                reason = "signed by pinned key " + first.fingerprint() + " (" + first.where() + ")";
            } else {
                List<String> signers = new ArrayList<>();
                for (Signer x : accepted.values()) signers.add(x.fingerprint());
                reason = "signed by " + accepted.size() + " distinct pinned keys (threshold " + threshold + "): "
                        + String.join(", ", signers) + "; " + String.join("; ", outcomes);
            }
            return new Decision(first.fingerprint(), first.format(), reason);
        }
        String head = threshold == 1 && accepted.isEmpty() ? "no signature verifies"
                : "signatures by " + accepted.size() + " distinct pinned key" + (accepted.size() == 1 ? "" : "s")
                + " verify, the trust policy requires " + threshold + " (KEY-01)";
        throw refuse(anyInvalid ? ErrorCode.SIGNATURE_INVALID : ErrorCode.UNTRUSTED, digest, what + ": " + head + ": " + String.join("; ", outcomes));
    }

    /** One distinct accepted signer: its fingerprint as the verifier or store spells it, format, where it came from. */
    private record Signer(String fingerprint, String format, String where) {
    }

    /** Fingerprint for comparison: OpenPGP hex without spaces, upper-case; SSH {@code SHA256:} base64 kept as is. */
    static String normalize(String fingerprint) {
        String fp = fingerprint.strip();
        return fp.startsWith("SHA256:") ? fp : OpenPgp.normalizeFingerprint(fp);
    }

    private static void checkBinding(FetchedTemplate f, Manifest m) throws SignatureVerificationException {
        if (!m.name().equals(f.name()) || !m.version().toString().equals(f.version().toString())) {
            throw refuse(ErrorCode.UNTRUSTED, m.digest(), "the manifest is for " + m.name() + "@" + m.version() + " but the source delivered it as "
                    + f.name() + "@" + f.version() + " (ART-09/ART-10)");
        }
    }

    private static SignatureVerificationException refuse(ErrorCode code, String digest, String reason) {
        return new SignatureVerificationException(code, new VerificationResult(false, digest, null, null, reason));
    }

    private static void addEmbedded(List<DetachedSignature> sigs, String format, byte[] bytes, String name) {
        if (bytes != null) sigs.add(new DetachedSignature(format, bytes, name));
    }

    private static byte[] readTrustFile(Path dir, String name, int max) throws VboxmcpException {
        Path p = dir.resolve(name);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return null;
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) throw new ArchiveException(name + " is not a regular file");
        try {
            if (Files.size(p) > max) throw new ArchiveException(name + " is larger than " + max + " bytes");
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
