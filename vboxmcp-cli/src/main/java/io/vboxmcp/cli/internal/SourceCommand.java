package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.manager.SourcesFile;
import io.vboxmcp.spi.TemplateSourceFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** {@code source add|list|remove}: template sources persisted in {@code <home>/sources.json}. */
@Command(name = "source", header = "Manage template sources (folders, Git) and their order",
        description = "Manages template sources (local folders, Git repositories) and their order.",
        subcommands = {SourceCommand.Add.class, SourceCommand.ListSources.class, SourceCommand.Remove.class})
final class SourceCommand extends VboxmcpCommand.Sub {
    static final String LOCAL = "local";

    @Override
    int run(Session s) {
        throw usage("missing subcommand: add, list or remove");
    }

    static boolean isRemote(URI uri) {
        return !"file".equals(uri.getScheme());
    }

    @Command(name = "add", description = "Adds or replaces a template source. Remote sources must be signed by a key "
            + "pinned for them ('vboxmcp trust add --source NAME KEYFILE') unless --allow-unsigned is given.")
    static final class Add extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "NAME", description = "Short name of the source.")
        String name;

        @Parameters(index = "1", paramLabel = "URL", description = "A folder, a Git URL (https://, ssh://, git://, file://, *.git) or an OCI registry namespace (oci://HOST[:PORT]/NAMESPACE).")
        String url;

        @Option(names = "--priority", paramLabel = "N", defaultValue = "100",
                description = "Lower is consulted first (default ${DEFAULT-VALUE}); the local repository always comes first.")
        int priority;

        @Option(names = "--allow-unsigned", description = "Accept unsigned templates from this source.")
        boolean allowUnsigned;

        @Option(names = "--threshold", paramLabel = "N",
                description = "Templates must be signed by at least N distinct keys pinned for this source (default 1; "
                        + "above 1, unsigned templates are refused even with --allow-unsigned).")
        Integer threshold;

        @Option(names = "--credentials-env", paramLabel = "VAR",
                description = "Environment variable holding HTTPS credentials (a token or user:password); only its name is stored.")
        String credentialsEnv;

        @Option(names = {"-o", "--option"}, paramLabel = "KEY=VALUE", description = "Source option (see docs/git.md), repeatable.")
        Map<String, String> options = new LinkedHashMap<>();

        @Override
        int run(Session s) throws VboxmcpException {
            if (!TemplateRef.isValidName(name) || name.equals(LOCAL)) {
                throw usage("'" + name + "' is not a source name: use lower-case letters, digits and '-' ('local' is "
                        + "the local repository)");
            }
            if (priority < 0) {
                throw usage("--priority must be 0 or more");
            }
            if (threshold != null && threshold < 1) {
                throw usage("--threshold must be 1 or more");
            }
            URI uri = toUri(url);
            Map<String, String> opts = new LinkedHashMap<>(options);
            if (credentialsEnv != null) {
                if (!credentialsEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                    throw usage("--credentials-env takes an environment variable name, not a value");
                }
                opts.put("credentials-env", credentialsEnv);
            }
            if (allowUnsigned) {
                opts.put(SourcesFile.ALLOW_UNSIGNED, "true");
            }
            if (threshold != null) {
                opts.put(SourcesFile.THRESHOLD, Integer.toString(threshold));
            }
            SourceConfig source = new SourceConfig(name, uri, priority, opts);
            new SourcesFile(s.home()).put(source);
            s.result("added source " + name + " " + uri + " (priority " + priority
                    + (threshold != null ? ", " + threshold + " signer" + (threshold == 1 ? "" : "s") + " required" : "") + ")");
            if (isRemote(uri) && !allowUnsigned) {
                s.say("templates from " + name + " must be signed by a key pinned for it: "
                        + "vboxmcp trust add --source " + name + " KEYFILE");
            } else if (allowUnsigned) {
                s.warn("unsigned templates from " + name + " will be accepted");
            }
            ObjectNode doc = Json.obj();
            doc.set("source", Json.source(source));
            s.emitJson(true, doc);
            return Main.OK;
        }

        private URI toUri(String text) {
            URI u;
            if (text.matches("[A-Za-z][A-Za-z0-9+.-]*:.*") && !text.matches("[A-Za-z]:[\\\\/].*")
                    || text.matches("[A-Za-z0-9._-]+@[^/:]+:.*")) {
                try {
                    u = new URI(text);
                    if (u.getScheme() == null || text.matches("[A-Za-z0-9._-]+@[^/:]+:.*") && !text.contains("://")) {
                        // scp-like user@host:path, as git writes it
                        u = new URI("ssh://" + text.replaceFirst(":", "/"));
                    }
                } catch (URISyntaxException e) {
                    throw usage("'" + redact(text) + "' is not a valid URL: " + e.getReason() + "; " + SUPPORTED);
                }
                checkRemote(u);
            } else {
                Path p = Path.of(text).toAbsolutePath().normalize();
                if (!Files.exists(p)) {
                    throw usage(p + " does not exist");
                }
                u = p.toUri();
            }
            // refused now, not on first use: ask the source providers this command ships with
            for (TemplateSourceFactory f : ServiceLoader.load(TemplateSourceFactory.class)) {
                if (f.supports(u)) {
                    return u;
                }
            }
            throw usage("no template source supports " + redact(u.toString()) + "; " + SUPPORTED);
        }

        /** A URL with a password or token is refused before anything is stored or echoed (AUD-06). */
        private void checkRemote(URI u) {
            String scheme = u.getScheme().toLowerCase(java.util.Locale.ROOT);
            if (!SCHEMES.contains(scheme)) {
                throw usage("unsupported URL scheme '" + Session.safe(scheme) + "'; " + SUPPORTED);
            }
            String user = u.getRawUserInfo();
            if (user != null && (user.contains(":") || scheme.startsWith("http"))) {
                throw usage("the URL " + redact(u.toString()) + " carries a password or token; it was not stored. "
                        + "Give credentials with --credentials-env VAR (only the variable's name is stored)");
            }
        }

        static final java.util.Set<String> SCHEMES = java.util.Set.of("file", "https", "http", "ssh", "git", "oci");
        static final String SUPPORTED = "supported: a folder or file: URL, https://HOST/PATH.git, ssh://[USER@]HOST/PATH, "
                + "USER@HOST:PATH, git://HOST/PATH, http://HOST/PATH.git (loopback, or with -o allow-insecure-http=true), "
                + "oci://HOST[:PORT]/NAMESPACE (an OCI registry; -o root=FILE for its signed index)";

        /** @return {@code text} with any user information of a URL replaced by {@code ***}, escaped for the terminal */
        static String redact(String text) {
            return Session.safe(text.replaceAll("(?<=://)[^/?#]*@", "***@").replaceAll("^[^/:@]+:[^/@]*@", "***@"));
        }
    }

    @Command(name = "list", description = "Lists template sources in the order they are consulted.")
    static final class ListSources extends VboxmcpCommand.Sub {
        @Override
        int run(Session s) throws VboxmcpException {
            List<SourceConfig> all = new ArrayList<>();
            all.add(new SourceConfig(LOCAL, s.home().resolve("templates").toUri(), -1, Map.of()));
            all.addAll(new SourcesFile(s.home()).read());
            s.result(String.format("%-16s %-9s %-10s %s", "NAME", "PRIORITY", "SIGNATURES", "URL"));
            ArrayNode a = Json.arr();
            for (SourceConfig c : all) {
                boolean unsigned = Boolean.parseBoolean(c.options().getOrDefault(SourcesFile.ALLOW_UNSIGNED, "false"));
                String sig = c.id().equals(LOCAL) || !isRemote(c.uri()) ? "optional" : unsigned ? "optional" : "required";
                s.result(String.format("%-16s %-9s %-10s %s", c.id(), c.priority() < 0 ? "first" : c.priority(), sig,
                        c.uri()));
                a.add(Json.source(c).put("signatures", sig));
            }
            ObjectNode doc = Json.obj();
            doc.set("sources", a);
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "remove", description = "Removes a template source (its pinned keys stay until 'trust remove').")
    static final class Remove extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        int run(Session s) throws VboxmcpException {
            if (name.equals(LOCAL)) {
                throw usage("the local repository cannot be removed");
            }
            SourcesFile file = new SourcesFile(s.home());
            // checked first so that a wrong name writes nothing
            if (file.read().stream().noneMatch(c -> c.id().equals(name)) || !file.remove(name)) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "no source named '" + name
                        + "' (see 'vboxmcp source list')");
            }
            s.result("removed source " + name);
            s.emitJson(true, Json.obj().put("name", name));
            return Main.OK;
        }
    }
}
