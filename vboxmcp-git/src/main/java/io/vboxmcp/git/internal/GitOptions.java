package io.vboxmcp.git.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.git.GitKeys;
import io.vboxmcp.spi.ProviderContext;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** The parsed, checked options of one Git source. */
record GitOptions(String credentialsEnv, Path credentialsFile, String username, Path sshKeyFile, Path knownHostsFile,
                  boolean offline, Pattern tagPattern, String subdirectory, boolean requireSignedTags,
                  Duration timeout, Duration refresh, long maxTemplateBytes, boolean allowInsecureHttp,
                  Duration fetchTotalTimeout, long maxFetchBytes) {

    private static final Set<String> KNOWN = Set.of(GitKeys.CREDENTIALS_ENV, GitKeys.CREDENTIALS_FILE, GitKeys.USERNAME,
            GitKeys.SSH_KEY_FILE, GitKeys.KNOWN_HOSTS_FILE, GitKeys.OFFLINE, GitKeys.TAG_PATTERN, GitKeys.SUBDIRECTORY,
            GitKeys.REQUIRE_SIGNED_TAGS, GitKeys.TIMEOUT_SECONDS, GitKeys.REFRESH_SECONDS, GitKeys.MAX_TEMPLATE_BYTES,
            GitKeys.ALLOW_INSECURE_HTTP, GitKeys.FETCH_TOTAL_TIMEOUT_SECONDS, GitKeys.MAX_FETCH_BYTES);

    static GitOptions parse(SourceConfig config, ProviderContext context, boolean remote) throws VboxmcpException {
        Map<String, String> o = config.options();
        for (String k : o.keySet()) {
            if (!KNOWN.contains(k)) {
                throw invalid(config, "unknown option '" + k + "' (known: " + String.join(", ", new java.util.TreeSet<>(KNOWN)) + ")");
            }
        }
        if (o.containsKey(GitKeys.CREDENTIALS_ENV) && o.containsKey(GitKeys.CREDENTIALS_FILE)) {
            throw invalid(config, "give " + GitKeys.CREDENTIALS_ENV + " or " + GitKeys.CREDENTIALS_FILE + ", not both");
        }
        Pattern tags;
        try {
            tags = Pattern.compile(o.getOrDefault(GitKeys.TAG_PATTERN, GitKeys.DEFAULT_TAG_PATTERN));
        } catch (PatternSyntaxException e) {
            throw invalid(config, GitKeys.TAG_PATTERN + " is not a regular expression: " + e.getDescription());
        }
        if (!tags.pattern().contains("(?<version>")) {
            throw invalid(config, GitKeys.TAG_PATTERN + " needs a named group 'version'");
        }
        String sub = o.getOrDefault(GitKeys.SUBDIRECTORY, "").trim();
        while (sub.endsWith("/")) sub = sub.substring(0, sub.length() - 1);
        if (!sub.isEmpty()) {
            for (String part : sub.split("/", -1)) {
                if (part.isEmpty() || part.equals(".") || part.equals("..") || part.contains("\\")
                        || part.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    throw invalid(config, GitKeys.SUBDIRECTORY + " must be a relative path without '.', '..' or empty parts");
                }
            }
        }
        boolean globalOffline = bool(config, GitKeys.GLOBAL_OFFLINE, context.config(GitKeys.GLOBAL_OFFLINE).orElse("false"));
        String home = System.getProperty("user.home");
        return new GitOptions(
                o.get(GitKeys.CREDENTIALS_ENV),
                path(o.get(GitKeys.CREDENTIALS_FILE)),
                o.getOrDefault(GitKeys.USERNAME, "x-access-token"),
                path(o.get(GitKeys.SSH_KEY_FILE)),
                o.containsKey(GitKeys.KNOWN_HOSTS_FILE) ? path(o.get(GitKeys.KNOWN_HOSTS_FILE))
                        : Path.of(home, ".ssh", "known_hosts"),
                globalOffline || bool(config, GitKeys.OFFLINE, o.getOrDefault(GitKeys.OFFLINE, "false")),
                tags,
                sub,
                bool(config, GitKeys.REQUIRE_SIGNED_TAGS, o.getOrDefault(GitKeys.REQUIRE_SIGNED_TAGS, Boolean.toString(remote))),
                Duration.ofSeconds(number(config, GitKeys.TIMEOUT_SECONDS, o.getOrDefault(GitKeys.TIMEOUT_SECONDS, "60"), 1, 86_400)),
                Duration.ofSeconds(number(config, GitKeys.REFRESH_SECONDS, o.getOrDefault(GitKeys.REFRESH_SECONDS, "300"), 0, Long.MAX_VALUE / 2_000_000_000L)),
                number(config, GitKeys.MAX_TEMPLATE_BYTES, o.getOrDefault(GitKeys.MAX_TEMPLATE_BYTES, Long.toString(512L << 20)), 1, Long.MAX_VALUE),
                bool(config, GitKeys.ALLOW_INSECURE_HTTP, o.getOrDefault(GitKeys.ALLOW_INSECURE_HTTP, "false")),
                Duration.ofSeconds(number(config, GitKeys.FETCH_TOTAL_TIMEOUT_SECONDS,
                        o.getOrDefault(GitKeys.FETCH_TOTAL_TIMEOUT_SECONDS, "600"), 1, 7 * 86_400)),
                number(config, GitKeys.MAX_FETCH_BYTES, o.getOrDefault(GitKeys.MAX_FETCH_BYTES, Long.toString(2L << 30)), 1, Long.MAX_VALUE));
    }

    /** Whether {@code uri} is served from this machine's disk rather than over the network. */
    static boolean isLocal(URI uri) {
        return uri.getScheme() == null || uri.getScheme().equalsIgnoreCase("file");
    }

    private static Path path(String s) {
        if (s == null) return null;
        if (s.equals("~") || s.startsWith("~/")) {
            s = System.getProperty("user.home") + s.substring(1);
        }
        return Path.of(s);
    }

    private static boolean bool(SourceConfig config, String key, String value) throws VboxmcpException {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("true")) return true;
        if (v.equals("false")) return false;
        throw invalid(config, key + " must be true or false, not '" + value + "'");
    }

    private static long number(SourceConfig config, String key, String value, long min, long max) throws VboxmcpException {
        try {
            long n = Long.parseLong(value.trim());
            if (n < min || n > max) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw invalid(config, key + " must be a whole number in " + min + ".." + max + ", not '" + value + "'");
        }
    }

    private static VboxmcpException invalid(SourceConfig config, String message) {
        return new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "git source '" + config.id() + "': " + message);
    }
}
