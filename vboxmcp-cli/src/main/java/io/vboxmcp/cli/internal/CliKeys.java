package io.vboxmcp.cli.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.time.Duration;
import java.util.Locale;

/**
 * Configuration keys of the command line, read like {@link io.vboxmcp.core.CoreKeys}: the system property
 * {@code vboxmcp.<key>}, then the environment variable {@code VBOXMCP_<KEY>} (upper case, dots and dashes as
 * underscores).
 */
final class CliKeys {
    /** Seconds to wait for the TCP (and TLS) connection of a download. Integer, default 30. */
    static final String DOWNLOAD_CONNECT_TIMEOUT = "download.connect-timeout";
    /** Seconds a download may wait for its next byte (headers included) before it fails. Integer, default 60. */
    static final String DOWNLOAD_IDLE_TIMEOUT = "download.idle-timeout";
    /** Seconds a whole download may take, however steadily bytes arrive. Integer, default 1800. */
    static final String DOWNLOAD_TOTAL_TIMEOUT = "download.total-timeout";

    private CliKeys() {
    }

    /** @throws VboxmcpException {@code INVALID_ARGUMENT} if the key is set to something not a whole number >= 1 */
    static Duration seconds(String key, int def) throws VboxmcpException {
        String v = System.getProperty("vboxmcp." + key);
        if (v == null) {
            v = System.getenv("VBOXMCP_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
        }
        if (v == null || v.isBlank()) {
            return Duration.ofSeconds(def);
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) {
                return Duration.ofSeconds(n);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "configuration key '" + key
                + "' must be a whole number of seconds, at least 1, got '" + Session.safe(v) + "'");
    }
}
