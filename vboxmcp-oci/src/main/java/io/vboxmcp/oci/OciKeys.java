package io.vboxmcp.oci;

/**
 * Configuration keys of the OCI registry provider ({@code VmManager.Builder.property}, system property
 * {@code vboxmcp.<key>} or environment), and the source options of an {@code oci://} source.
 */
public final class OciKeys {
    /** Largest manifest, tag list or index document read from a registry, in KiB (default 4096, the registries' own cap). */
    public static final String MAX_MANIFEST_KB = "oci.max_manifest_kb";
    /** Largest template package (layer) pulled, in MiB (default 512). */
    public static final String MAX_PACKAGE_MB = "oci.max_package_mb";
    /** Overall time for one registry request including its body, in seconds (default 60). */
    public static final String REQUEST_TIMEOUT_SECONDS = "oci.request_timeout_seconds";
    /** Docker-style {@code config.json} to read credentials from (default {@code $DOCKER_CONFIG/config.json}, then {@code ~/.docker/config.json}). */
    public static final String DOCKER_CONFIG = "oci.docker_config";
    /** A PEM file of CA certificates trusted for registries over https, in addition to the JDK's (a private CA). */
    public static final String CA_FILE = "oci.ca_file";

    /** Largest signed index or root document, in KiB (default 16384; an index of 10,000 templates is about 3 MiB). */
    public static final String MAX_INDEX_KB = "oci.max_index_kb";
    /** How often a source asks its registry for a newer signed index, in seconds (default 300). */
    public static final String INDEX_REFRESH_SECONDS = "oci.index_refresh_seconds";

    /**
     * Source option: a bootstrap {@code root.json} (with its signatures in {@code root.json.sig} and/or
     * {@code root.json.asc} beside it). With it the source requires the namespace's signed index and trusts nothing
     * the index does not list; the root must be complete and self-signed, checked before any request.
     */
    public static final String OPTION_ROOT = "root";
    /** Source option: name of an environment variable holding a token or {@code user:password} for the registry. */
    public static final String OPTION_CREDENTIALS_ENV = "credentials-env";
    /** Source option: {@code true} to talk https to a loopback registry (which defaults to plain http). */
    public static final String OPTION_TLS = "tls";
    /** Source option: {@code true} to talk plain http to a registry that is not on a loopback address. */
    public static final String OPTION_PLAIN_HTTP = "plain-http";

    private OciKeys() {
    }
}
