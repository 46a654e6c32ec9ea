package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.qemu.QemuKeys;
import io.vboxmcp.spi.ProviderContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Guest network isolation for new machines ({@link QemuKeys#NETWORK_RESTRICT}, {@link QemuKeys#NETWORK_ALLOW},
 * {@link QemuKeys#NETWORK_RELAY}). The values end up in a QEMU option string and a relay command line, so they are
 * checked against strict patterns here: a host name or address and a port, a relay command without spaces.
 *
 * @param restrict      {@code restrict=on}
 * @param guestForwards {@code guestPort=host:port} entries, empty unless {@code restrict}
 * @param relay         relay command, null when there are no forwards
 */
record NetworkSettings(boolean restrict, List<String> guestForwards, String relay) {
    /** Where a restricted guest reaches an allowed service (slirp refuses a guest forward on the host address 10.0.2.2). */
    static final String GUEST_HOST = QemuKeys.NETWORK_ALLOW_GUEST_ADDRESS;
    private static final Pattern HOST_PORT = Pattern.compile("([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?):(\\d{1,5})");
    private static final Pattern RELAY = Pattern.compile("[A-Za-z0-9_./-]{1,256}");

    NetworkSettings {
        guestForwards = List.copyOf(guestForwards);
    }

    static NetworkSettings from(ProviderContext ctx) throws HypervisorException {
        String on = ctx.config(QemuKeys.NETWORK_RESTRICT).orElse("false").trim().toLowerCase(Locale.ROOT);
        if (!on.equals("true") && !on.equals("false")) {
            throw invalid(QemuKeys.NETWORK_RESTRICT + " must be true or false, not " + on);
        }
        if (on.equals("false")) {
            return new NetworkSettings(false, List.of(), null);
        }
        List<String> forwards = new ArrayList<>();
        for (String entry : ctx.config(QemuKeys.NETWORK_ALLOW).orElse("").split(",")) {
            if (!entry.isBlank()) {
                Forward f = Forward.of(entry.trim());
                forwards.add(f.guestPort() + "=" + f.host() + ":" + f.port());
            }
        }
        String relay = ctx.config(QemuKeys.NETWORK_RELAY).orElse("socat").trim();
        if (!RELAY.matcher(relay).matches()) {
            throw invalid(QemuKeys.NETWORK_RELAY + " must be a command name or path without spaces, not '" + relay + "'");
        }
        return new NetworkSettings(true, forwards, forwards.isEmpty() ? null : relay);
    }

    private static HypervisorException invalid(String message) {
        return new HypervisorException(ErrorCode.INVALID_ARGUMENT, message, null);
    }

    /** One allowed service: the guest's {@code 10.0.2.2:guestPort} relayed to {@code host:port}. */
    record Forward(int guestPort, String host, int port) {
        /** @param entry {@code HOST:PORT} from {@link QemuKeys#NETWORK_ALLOW} */
        static Forward of(String entry) throws HypervisorException {
            Matcher m = HOST_PORT.matcher(entry);
            int port = m.matches() ? Integer.parseInt(m.group(2)) : 0;
            if (port < 1 || port > 65535) {
                throw invalid(QemuKeys.NETWORK_ALLOW + " entries must be HOST:PORT, not '" + entry + "'");
            }
            return new Forward(port, m.group(1), port);
        }

        /** @param recorded {@code guestPort=host:port} as a machine record keeps it */
        static Forward parse(String recorded) throws HypervisorException {
            int eq = recorded.indexOf('=');
            Forward f = of(recorded.substring(eq + 1));
            return new Forward(Integer.parseInt(recorded.substring(0, eq)), f.host(), f.port());
        }
    }
}
