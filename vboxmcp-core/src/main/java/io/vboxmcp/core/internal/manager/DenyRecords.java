package io.vboxmcp.core.internal.manager;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VerificationResult;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.template.InstalledTemplate;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.template.TemplateRepository;
import io.vboxmcp.trust.PinnedKey;
import io.vboxmcp.trust.TemplatePublisher;
import io.vboxmcp.trust.TrustStore;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes one {@code deny} audit record for every refusal that crosses the manager's API boundary (threats.md:
 * "refuse" means a typed error, nothing persisted, and an audit record with a reason). The layers below (trust,
 * archive, Git, URL) only throw typed errors; the objects the manager hands out ({@link #repository},
 * {@link #trustStore}, {@link #publisher}, {@link #source}) record the ones whose {@link ErrorCode} means "refused".
 * Nested calls (a create that fetches from a source, an install that verifies a package) record once: only the
 * outermost boundary call on a thread writes.
 */
final class DenyRecords {
    /** Codes that mean "hostile or untrusted input was refused", as opposed to "something failed". */
    static final Set<ErrorCode> REFUSALS = EnumSet.of(ErrorCode.SIGNATURE_INVALID, ErrorCode.UNTRUSTED,
            ErrorCode.DIGEST_MISMATCH, ErrorCode.ARCHIVE_INVALID, ErrorCode.POLICY_VIOLATION, ErrorCode.CONFLICT,
            ErrorCode.TEMPLATE_INVALID, ErrorCode.RESOURCE_LIMIT);
    private static final Set<ErrorCode> TRUST_ADD_REFUSALS = EnumSet.of(ErrorCode.INVALID_ARGUMENT,
            ErrorCode.SIGNATURE_INVALID, ErrorCode.UNTRUSTED, ErrorCode.POLICY_VIOLATION);
    static final String OUTCOME = "deny";
    // AUD-06: a URL's user-info (user:password@) never reaches the log, whatever message carried it
    private static final Pattern USER_INFO = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/@\\s]+@");

    private final HashChainAuditLog audit;
    private final ThreadLocal<Scope> scope = ThreadLocal.withInitial(Scope::new);

    DenyRecords(HashChainAuditLog audit) {
        this.audit = audit;
    }

    interface Call<T> {
        T call() throws VboxmcpException;
    }

    /** Where a refusal was first seen: the innermost boundary call names the source and subject best. */
    record Origin(String action, String source, String subject) { }

    /** Per-thread nesting depth, and the origin of each refusal seen by a nested call. */
    private static final class Scope {
        int depth;
        final Map<VboxmcpException, Origin> origins = new IdentityHashMap<>();
    }

    static boolean isRefusal(VboxmcpException e) {
        return REFUSALS.contains(e.code());
    }

    /**
     * Runs {@code c}; if it is the outermost boundary call on this thread and it throws a refusal, appends one deny
     * record first (with the source and subject of the innermost boundary call that saw it). The refusal stays the
     * exception the caller sees; a failed audit write is attached to it as suppressed (the operation failed closed
     * already, so {@code audit.fail-closed} changes nothing here).
     */
    <T> T guard(String action, String source, String subject, Call<T> c) throws VboxmcpException {
        return guard(action, source, subject, REFUSALS, c);
    }

    private <T> T guard(String action, String source, String subject, Set<ErrorCode> refusals, Call<T> c)
            throws VboxmcpException {
        Scope sc = scope.get();
        sc.depth++;
        try {
            return c.call();
        } catch (VboxmcpException e) {
            if (refusals.contains(e.code())) {
                Origin inner = sc.origins.putIfAbsent(e, new Origin(action, source, subject));
                if (sc.depth == 1) {
                    record(action, inner == null ? new Origin(action, source, subject) : inner, e);
                }
            }
            throw e;
        } finally {
            if (--sc.depth == 0) {
                sc.origins.clear();
            }
        }
    }

    /** Runs {@code c} as a boundary call that writes its own audit record (create): nested calls write none. */
    <T> T quiet(Call<T> c) throws VboxmcpException {
        Scope sc = scope.get();
        sc.depth++;
        try {
            return c.call();
        } finally {
            if (--sc.depth == 0) {
                sc.origins.clear();
            }
        }
    }

    /** @return where a refusal seen inside the current {@link #quiet} call came from, if a boundary call saw it */
    Optional<Origin> origin(VboxmcpException e) {
        return Optional.ofNullable(scope.get().origins.get(e));
    }

    private void record(String action, Origin origin, VboxmcpException e) {
        VerificationResult r = e instanceof SignatureVerificationException sv ? sv.result() : null;
        try {
            audit.append(new HashChainAuditLog.Event(action, OUTCOME, HashChainAuditLog.fields(
                    "code", e.code().name(),
                    "source", origin.source(),
                    "subject", redact(origin.subject()),
                    "via", origin.action().equals(action) ? null : origin.action(),
                    "step", e.step().orElse(null),
                    "digest", r == null ? null : r.manifestDigest(),
                    "signer", r == null ? null : r.signerFingerprint(),
                    "reason", redact(e.getMessage()))));
        } catch (VboxmcpException auditFailure) {
            e.addSuppressed(auditFailure);
        }
    }

    static String redact(String text) {
        return text == null ? null : USER_INFO.matcher(text).replaceAll("$1[redacted]@");
    }

    // ---------------------------------------------------------------- the objects the manager hands out

    TemplateRepository repository(TemplateRepository r) {
        return new TemplateRepository() {
            @Override
            public List<TemplateInfo> list() throws VboxmcpException {
                return r.list();
            }

            @Override
            public List<SemanticVersion> versions(String name) throws VboxmcpException {
                return r.versions(name);
            }

            @Override
            public Optional<InstalledTemplate> get(String name, SemanticVersion version) throws VboxmcpException {
                return r.get(name, version);
            }

            @Override
            public InstalledTemplate install(Path source) throws VboxmcpException {
                return guard("template.install", "local", String.valueOf(source), () -> r.install(source));
            }

            @Override
            public InstalledTemplate install(io.vboxmcp.TemplateRef ref) throws VboxmcpException {
                return guard("template.install", "sources", ref.toString(), () -> r.install(ref));
            }

            @Override
            public InstalledTemplate install(java.net.URI reference) throws VboxmcpException {
                return guard("template.install", "share", reference.toString(), () -> r.install(reference));
            }

            @Override
            public boolean remove(String name, SemanticVersion version) throws VboxmcpException {
                return r.remove(name, version);
            }
        };
    }

    TrustStore trustStore(TrustStore t) {
        return new TrustStore() {
            @Override
            public PinnedKey add(String sourceId, Path publicKeyFile) throws VboxmcpException {
                // a key file that cannot be pinned (malformed, several keys, too large) is refused outside input too
                return guard("trust.add", sourceId, String.valueOf(publicKeyFile), TRUST_ADD_REFUSALS,
                        () -> t.add(sourceId, publicKeyFile));
            }

            @Override
            public List<PinnedKey> list(String sourceId) throws VboxmcpException {
                return t.list(sourceId);
            }

            @Override
            public List<PinnedKey> listAll() throws VboxmcpException {
                return t.listAll();
            }

            @Override
            public boolean remove(String sourceId, String fingerprint) throws VboxmcpException {
                return t.remove(sourceId, fingerprint);
            }
        };
    }

    TemplatePublisher publisher(TemplatePublisher p) {
        return new TemplatePublisher() {
            @Override
            public String writeManifest(Path dir, String name, SemanticVersion version) throws VboxmcpException {
                return p.writeManifest(dir, name, version);
            }

            @Override
            public Path signOpenPgp(Path dir, Path secretKeyFile, char[] passphrase) throws VboxmcpException {
                return p.signOpenPgp(dir, secretKeyFile, passphrase);
            }

            @Override
            public Path signSsh(Path dir, Path privateKeyFile, char[] passphrase) throws VboxmcpException {
                return p.signSsh(dir, privateKeyFile, passphrase);
            }

            @Override
            public String pack(Path dir, Path out) throws VboxmcpException {
                return p.pack(dir, out);
            }

            @Override
            public VerificationResult verify(Path folderOrPackage, List<Path> publicKeyFiles) throws VboxmcpException {
                return guard("template.verify", "local", String.valueOf(folderOrPackage),
                        () -> p.verify(folderOrPackage, publicKeyFiles));
            }

            @Override
            public io.vboxmcp.trust.PublishResult publish(Path folderOrPackage, java.net.URI target) throws VboxmcpException {
                return guard("template.publish", "local", String.valueOf(target), () -> p.publish(folderOrPackage, target));
            }
        };
    }

    TemplateSource source(TemplateSource s) {
        String id = s.config().id();
        return new TemplateSource() {
            @Override
            public SourceConfig config() {
                return s.config();
            }

            @Override
            public boolean remote() {
                return s.remote();
            }

            @Override
            public List<String> names() throws VboxmcpException {
                return guard("source.sync", id, null, s::names);
            }

            @Override
            public List<SemanticVersion> versions(String name) throws VboxmcpException {
                return guard("source.sync", id, name, () -> s.versions(name));
            }

            @Override
            public List<TemplateInfo> describe() throws VboxmcpException {
                return guard("source.sync", id, null, s::describe);
            }

            @Override
            public FetchedTemplate fetch(String name, SemanticVersion version, Path workDir) throws VboxmcpException {
                return guard("source.fetch", id, name + "@" + version, () -> s.fetch(name, version, workDir));
            }

            @Override
            public FetchedTemplate fetchReference(String reference, Path workDir) throws VboxmcpException {
                return guard("source.fetch", id, reference, () -> s.fetchReference(reference, workDir));
            }

            @Override
            public io.vboxmcp.trust.PublishResult publish(io.vboxmcp.spi.TemplatePublication p) throws VboxmcpException {
                return guard("template.publish", id, p.name() + "@" + p.version(), () -> s.publish(p));
            }

            @Override
            public void close() throws VboxmcpException {
                s.close();
            }
        };
    }
}
