package io.vboxmcp.git;

/**
 * Option keys of Git template sources, given in {@link io.vboxmcp.SourceConfig#options()} of a source whose URI
 * is {@code https://}, {@code http://} (loopback only unless allowed), {@code ssh://}, {@code git://},
 * {@code file://} or a path ending in {@code .git}. Unknown keys are refused so that a typo never silently
 * weakens a setting. Values are strings; booleans are {@code true} or {@code false}.
 *
 * @since 0.2.0
 */
public final class GitKeys {
    /**
     * Name of an environment variable holding HTTPS credentials: either a token, or {@code user:password}.
     * String, no default. The value is only ever sent to the origin (scheme, host, port) of the source URI.
     */
    public static final String CREDENTIALS_ENV = "credentials-env";

    /**
     * Path of a file whose first line holds HTTPS credentials: a token or {@code user:password}. String, no
     * default. Same origin rule as {@link #CREDENTIALS_ENV}; give one of the two, not both.
     */
    public static final String CREDENTIALS_FILE = "credentials-file";

    /** The user name paired with a token (a credential without {@code :}). String, default {@code x-access-token}. */
    public static final String USERNAME = "username";

    /**
     * Path of an OpenSSH private key (unencrypted) used for {@code ssh://} sources. String, no default; without it
     * no key is offered. {@code ~/.ssh}, the SSH agent and {@code ~/.ssh/config} are never consulted.
     */
    public static final String SSH_KEY_FILE = "ssh-key-file";

    /**
     * Path of the {@code known_hosts} file that must list the SSH server's host key. String, default
     * {@code ~/.ssh/known_hosts}. Unknown or changed host keys are refused, never accepted on first use.
     */
    public static final String KNOWN_HOSTS_FILE = "known-hosts-file";

    /**
     * Serve from the local mirror without contacting the remote. Boolean, default {@code false}; the provider
     * configuration key {@link #GLOBAL_OFFLINE} turns it on for every Git source. A progress INFO event says so.
     */
    public static final String OFFLINE = "offline";

    /**
     * Regular expression a tag name (without {@code refs/tags/}) must match fully to be a template version; group
     * {@code version} is the semantic version and the optional group {@code name} the template folder. String,
     * default {@link #DEFAULT_TAG_PATTERN}.
     */
    public static final String TAG_PATTERN = "tag-pattern";

    /** Default of {@link #TAG_PATTERN}: {@code vX.Y.Z} (one template at the root) or {@code <name>/vX.Y.Z}. */
    public static final String DEFAULT_TAG_PATTERN = "(?:(?<name>[a-z0-9][a-z0-9-]{0,62})/)?v(?<version>[0-9][0-9A-Za-z.+-]*)";

    /**
     * Folder inside the repository that holds the template(s). String, default the repository root. Relative,
     * {@code /}-separated, no {@code ..}.
     */
    public static final String SUBDIRECTORY = "subdirectory";

    /**
     * Whether every version tag must be an annotated tag signed (OpenPGP or SSH) by a key pinned for this source;
     * refused otherwise, before any file is read. Boolean, default {@code true} for remote URIs and {@code false}
     * for {@code file:} URIs and local {@code .git} paths.
     */
    public static final String REQUIRE_SIGNED_TAGS = "require-signed-tags";

    /** Network timeout in seconds for one fetch operation. Integer, default {@code 60}. */
    public static final String TIMEOUT_SECONDS = "timeout-seconds";

    /**
     * Total time in seconds one fetch may take, however the server paces its bytes (a server trickling a byte now and
     * then never trips {@link #TIMEOUT_SECONDS}). Integer, default {@code 600}.
     */
    public static final String FETCH_TOTAL_TIMEOUT_SECONDS = "fetch-total-timeout-seconds";

    /** Maximum bytes of pack data one fetch may receive. Long, default 2 GiB. */
    public static final String MAX_FETCH_BYTES = "max-fetch-bytes";

    /**
     * How long, in seconds, one source instance trusts its last sync before fetching again. Integer, default
     * {@code 300}; {@code 0} fetches before every listing.
     */
    public static final String REFRESH_SECONDS = "refresh-seconds";

    /** Maximum total bytes of one template version's files. Long, default 512 MiB. */
    public static final String MAX_TEMPLATE_BYTES = "max-template-bytes";

    /** Allow {@code http://} to hosts other than loopback (credentials then travel in clear). Boolean, default {@code false}. */
    public static final String ALLOW_INSECURE_HTTP = "allow-insecure-http";

    /** Provider configuration key (through {@code ProviderContext.config}): {@code true} makes every Git source offline. */
    public static final String GLOBAL_OFFLINE = "git.offline";

    private GitKeys() {
    }
}
