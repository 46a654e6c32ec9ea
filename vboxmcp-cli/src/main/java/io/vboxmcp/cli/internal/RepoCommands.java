package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.VerificationResult;
import io.vboxmcp.core.internal.audit.HashChainAuditLog;
import io.vboxmcp.core.internal.archive.SafeExtractor;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.template.InstalledTemplate;
import io.vboxmcp.template.TemplateInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

/** The local repository: install, list, versions, search, remove. */
final class RepoCommands {
    private RepoCommands() {
    }

    static void table(Session s, List<TemplateInfo> infos, boolean withSource) {
        String fmt = withSource ? "%-24s %-12s %-12s %s" : "%-24s %-12s %s";
        s.result(withSource ? String.format(fmt, "NAME", "VERSION", "SOURCE", "DESCRIPTION")
                : String.format(fmt, "NAME", "VERSION", "DESCRIPTION"));
        for (TemplateInfo t : infos) {
            String d = t.description() == null ? "" : t.description();
            s.result(withSource ? String.format(fmt, t.name(), t.version(), t.sourceId(), d)
                    : String.format(fmt, t.name(), t.version(), d));
        }
    }

    static ArrayNode infos(List<TemplateInfo> infos) {
        ArrayNode a = Json.arr();
        infos.forEach(t -> a.add(Json.info(t)));
        return a;
    }

    @Command(name = "install", header = "Install a template from a folder, package, URL, registry or the sources",
        description = "Installs a template into the local repository from a folder, a .tar.gz "
            + "package, an http(s) URL of a package, an immutable registry reference oci://HOST/NS/NAME@sha256:<hex>, or "
            + "NAME[@RANGE] from the configured sources (highest matching version). Validated and verified first, with the same trust check as "
            + "use; a failed install changes nothing. A package from a URL must be signed by a pinned key unless "
            + "--allow-unsigned is given (https only; recorded in the audit log).")
    static final class Install extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "PKG|URL|DIR|oci://..@sha256:..|NAME[@RANGE]")
        String what;

        @Option(names = "--allow-unsigned",
                description = "Accept an unsigned package from an https URL (recorded in the audit log).")
        boolean allowUnsigned;

        @Override
        int run(Session s) throws Exception {
            Path source;
            Path tmp = null;
            Thread cleanup = null;
            if (what.startsWith("oci://") || isTemplateRef(what)) {
                if (allowUnsigned) {
                    throw usage("--allow-unsigned applies to http(s) URLs only; registry templates follow their source's trust policy");
                }
                InstalledTemplate t = s.step("install", Session.safe(what), () -> what.startsWith("oci://")
                        ? s.manager().templates().install(URI.create(what))
                        : s.manager().templates().install(io.vboxmcp.TemplateRef.parse(what)));
                s.result("installed " + t.definition().coordinates() + " (" + t.manifestDigest() + ") in " + t.directory());
                s.emitJson(true, Json.obj().put("template", t.definition().name())
                        .put("version", t.definition().version().toString()).put("manifestDigest", t.manifestDigest())
                        .put("directory", t.directory().toString()));
                return Main.OK;
            }
            try {
                if (Downloader.isUrl(what)) {
                    URI uri;
                    try {
                        uri = URI.create(what);
                    } catch (IllegalArgumentException e) {
                        throw usage("'" + what + "' is not a valid URL");
                    }
                    if (uri.getUserInfo() != null) {
                        throw usage("the URL carries credentials; they are never sent, stored or printed");
                    }
                    try {
                        boolean https = "https".equalsIgnoreCase(uri.getScheme());
                        if (allowUnsigned && !https) {
                            throw new SignatureVerificationException(ErrorCode.UNTRUSTED, new VerificationResult(false, "unknown",
                                    null, null, "--allow-unsigned is refused over plain http: anyone on the path could "
                                    + "replace the package; use https, or a package signed by a pinned key (ART-11)"));
                        }
                        Downloader.Timeouts timeouts = Downloader.Timeouts.configured();
                        // inside the home, and removed even when the command is interrupted (SIGINT/SIGTERM)
                        Path parent = s.home().resolve("tmp");
                        Files.createDirectories(parent);
                        Path dir = Files.createTempDirectory(parent, "download-");
                        tmp = dir;
                        cleanup = new Thread(() -> AtomicFiles.deleteTreeQuietly(dir), "vboxmcp-download-cleanup");
                        Runtime.getRuntime().addShutdownHook(cleanup);
                        source = s.step("download", Session.safe(uri.toString()),
                                () -> Downloader.download(uri, dir, "download", s.progress(), timeouts));
                        requireSignedOrAllowed(s, uri, source);
                    } catch (VboxmcpException refused) {
                        // the URL layer's refusals are audited like the manager's (threats.md: "refuse" writes a deny record)
                        denyRecord(s, uri, refused);
                        throw refused;
                    }
                } else {
                    if (allowUnsigned) {
                        throw usage("--allow-unsigned applies to URLs only (local installs follow the trust policy)");
                    }
                    source = Path.of(what);
                    if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
                        throw usage(what + " does not exist (give a template folder, a .tar.gz package or a URL)");
                    }
                }
                Path src = source;
                InstalledTemplate t = s.step("install", src.getFileName() == null ? what : src.getFileName().toString(),
                        () -> s.manager().templates().install(src));
                s.result("installed " + t.definition().coordinates() + " (" + t.manifestDigest() + ") in "
                        + t.directory());
                s.emitJson(true, Json.obj().put("template", t.definition().name())
                        .put("version", t.definition().version().toString()).put("manifestDigest", t.manifestDigest())
                        .put("directory", t.directory().toString()));
                return Main.OK;
            } finally {
                if (tmp != null) {
                    AtomicFiles.deleteTreeQuietly(tmp);  // best effort; the folder is under <home>/tmp
                }
                if (cleanup != null) {
                    try {
                        Runtime.getRuntime().removeShutdownHook(cleanup);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook runs anyway
                    }
                }
            }
        }

        /** NAME or NAME@RANGE that is not a file here: a template from the configured sources. */
        private static boolean isTemplateRef(String what) {
            if (Files.exists(Path.of(what), LinkOption.NOFOLLOW_LINKS) || what.contains("/")) {
                return false;
            }
            int at = what.indexOf('@');
            return io.vboxmcp.TemplateRef.isValidName(at < 0 ? what : what.substring(0, at));
        }

        private static void denyRecord(Session s, URI uri, VboxmcpException refused) {
            if (!URL_REFUSALS.contains(refused.code())) {
                return;
            }
            try {
                if (!(s.manager().audit() instanceof HashChainAuditLog log)) {
                    return;
                }
                log.append(new HashChainAuditLog.Event("template.install", "deny", HashChainAuditLog.fields(
                        "code", refused.code().name(), "source", "url", "subject", uri.toString(),
                        "reason", refused.getMessage())));
            } catch (VboxmcpException auditFailure) {
                refused.addSuppressed(auditFailure);
            }
        }

        /** Remote means signed (ART-11): a package from a URL carries a signature, which install then verifies. */
        private void requireSignedOrAllowed(Session s, URI uri, Path pkg) throws VboxmcpException {
            SafeExtractor.Scan scan = new SafeExtractor().scan(pkg);
            boolean signed = scan.openPgpSignature() != null || scan.sshSignature() != null;
            if (signed) {
                return;
            }
            if (!allowUnsigned) {
                throw new SignatureVerificationException(ErrorCode.UNTRUSTED, new VerificationResult(false, "unknown", null,
                        null, "the package from " + uri + " is not signed; a package from a URL must be signed by a "
                        + "pinned key (vboxmcp trust add), or installed with --allow-unsigned over https (ART-11)"));
            }
            s.warn("installing an unsigned package from " + uri + " (--allow-unsigned)");
            if (s.manager().audit() instanceof HashChainAuditLog log) {
                log.append(new HashChainAuditLog.Event("template.install.unsigned", "allowed",
                        HashChainAuditLog.fields("url", uri.toString(), "reason", "--allow-unsigned")));
            }
        }
    }

    /** What the URL layer refuses (as opposed to failing): each writes one deny record. */
    private static final java.util.Set<ErrorCode> URL_REFUSALS = java.util.EnumSet.of(ErrorCode.UNTRUSTED,
            ErrorCode.SIGNATURE_INVALID, ErrorCode.POLICY_VIOLATION, ErrorCode.DIGEST_MISMATCH, ErrorCode.ARCHIVE_INVALID,
            ErrorCode.TIMEOUT, ErrorCode.RESOURCE_LIMIT);

    @Command(name = "list", header = "List installed templates",
        description = "Lists the templates installed in the local repository.")
    static final class ListTemplates extends VboxmcpCommand.Sub {
        @Override
        int run(Session s) throws VboxmcpException {
            List<TemplateInfo> all = s.manager().templates().list();
            if (all.isEmpty()) {
                s.say("no templates installed (see 'vboxmcp install')");
            } else {
                table(s, all, false);
            }
            ObjectNode doc = Json.obj();
            doc.set("templates", infos(all));
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "versions", header = "List installed versions of a template",
        description = "Lists the installed versions of a template, oldest first.")
    static final class Versions extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        int run(Session s) throws VboxmcpException {
            if (!TemplateRef.isValidName(name)) {
                throw usage("'" + name + "' is not a template name");
            }
            List<SemanticVersion> vs = s.manager().templates().versions(name);
            if (vs.isEmpty()) {
                throw new TemplateNotFoundException("no version of '" + name + "' is installed (see 'vboxmcp search "
                        + name + "' for the configured sources)");
            }
            vs.forEach(v -> s.result(v.toString()));
            ArrayNode a = Json.arr();
            vs.forEach(v -> a.add(v.toString()));
            ObjectNode doc = Json.obj().put("name", name);
            doc.set("versions", a);
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "search", header = "Search templates in every source",
        description = "Searches every configured source (names, descriptions, tags).")
    static final class Search extends VboxmcpCommand.Sub {
        @Parameters(index = "0", arity = "0..1", paramLabel = "QUERY", defaultValue = "",
                description = "Words to match (all must), tag:T, author:A, version:RANGE or NAME@RANGE; none lists "
                        + "everything. Ranked: exact name, then tag, then name, then text.")
        String query;

        @Override
        int run(Session s) throws VboxmcpException {
            List<TemplateInfo> found = s.manager().search(query);
            if (found.isEmpty()) {
                s.say("no templates match '" + query + "'");
            } else {
                table(s, found, true);
            }
            ObjectNode doc = Json.obj().put("query", query);
            doc.set("templates", infos(found));
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "remove", header = "Remove an installed template (NAME or NAME@VERSION)",
        description = "Removes one version (NAME@VERSION) or every version (NAME) of an "
            + "installed template.")
    static final class Remove extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "NAME[@VERSION]")
        String what;

        @Override
        int run(Session s) throws VboxmcpException {
            int at = what.indexOf('@');
            String name = at < 0 ? what : what.substring(0, at);
            SemanticVersion version = null;
            if (!TemplateRef.isValidName(name)) {
                throw usage("'" + name + "' is not a template name");
            }
            if (at >= 0) {
                try {
                    version = SemanticVersion.parse(what.substring(at + 1));
                } catch (VersionFormatException e) {
                    throw usage(e.getMessage());
                }
            }
            if (!s.manager().templates().remove(name, version)) {
                throw new VboxmcpException(ErrorCode.TEMPLATE_NOT_FOUND, what + " is not installed");
            }
            s.result("removed " + what);
            s.emitJson(true, Json.obj().put("name", name).put("version", version == null ? null : version.toString()));
            return Main.OK;
        }
    }
}
