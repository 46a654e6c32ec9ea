package io.vboxmcp.oci.internal;

import java.net.URI;
import java.util.Locale;

/** Scheme, host and port: the unit credentials are bound to (never sent to another origin, REG-08). */
record Origin(String scheme, String host, int port) {
    static Origin of(URI u) {
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        int port = u.getPort() != -1 ? u.getPort() : "https".equals(scheme) ? 443 : 80;
        return new Origin(scheme, u.getHost() == null ? "" : u.getHost().toLowerCase(Locale.ROOT), port);
    }

    boolean loopback() {
        return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]") || host.equals("::1");
    }

    @Override
    public String toString() {
        return scheme + "://" + host + ":" + port;
    }
}
