package io.vboxmcp.cli.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.PackageMirrors;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.qemu.QemuKeys;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Package mirrors handed to a guest under restricted networking ({@link QemuKeys#NETWORK_RESTRICT}). Such a guest
 * reaches neither the host's {@code 10.0.2.2} nor any other address, so every mirror is relayed: its {@code HOST:PORT}
 * joins the allowed services ({@link QemuKeys#NETWORK_ALLOW}) and the guest gets its URL at
 * {@link QemuKeys#NETWORK_ALLOW_GUEST_ADDRESS} on the same port. Mirror URLs are written as for an open guest (as
 * {@code create} takes them): {@code 10.0.2.2} is the host, relayed to its {@code 127.0.0.1}.
 *
 * @param mirrors what the guest's apt, pip and npm use
 * @param allow   the {@code HOST:PORT} services to allow: the scenario's declared ones, then the mirrors'
 */
record RestrictedMirrors(PackageMirrors mirrors, List<String> allow) {
    /** The host as a guest under (open) QEMU user networking sees it. */
    static final String HOST_SEEN_FROM_GUEST = "10.0.2.2";
    private static final Set<String> GUEST_LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]");

    RestrictedMirrors {
        allow = List.copyOf(allow);
    }

    /**
     * @param given    the mirrors of the command line, as an open guest would use them
     * @param declared the scenario's {@code mirrors:} ({@code HOST:PORT}, checked by the scenarios' schema)
     * @throws VboxmcpException INVALID_ARGUMENT for an https mirror (its certificate cannot name the relay address),
     *                          a loopback URL (the guest's own, not the host's) or two services on one port
     */
    static RestrictedMirrors of(PackageMirrors given, List<String> declared) throws VboxmcpException {
        Map<Integer, String> byPort = new LinkedHashMap<>();
        for (String d : declared) {
            claim(byPort, Integer.parseInt(d.substring(d.lastIndexOf(':') + 1)), d, "mirror " + d);
        }
        List<PackageMirrors.AptSource> apt = new ArrayList<>();
        for (PackageMirrors.AptSource a : given.apt()) {
            apt.add(new PackageMirrors.AptSource(relay("apt mirror", a.uri(), byPort), a.suites(), a.components(),
                    a.signingKey(), a.allowUnsigned()));
        }
        URI pip = given.pipIndex() == null ? null : relay("pip index", given.pipIndex(), byPort);
        URI npm = given.npmRegistry() == null ? null : relay("npm registry", given.npmRegistry(), byPort);
        return new RestrictedMirrors(new PackageMirrors(apt, given.disableDefaultAptSources(), pip,
                given.pipTrustedHost(), npm), new ArrayList<>(byPort.values()));
    }

    private static URI relay(String what, URI url, Map<Integer, String> byPort) throws VboxmcpException {
        String host = url.getHost();
        if (!"http".equals(url.getScheme())) {
            // the guest would check the certificate of <host> against the relay's address and refuse it
            throw invalid("the " + what + " at " + host + " is https: a restricted guest reaches mirrors through a relay "
                    + "at " + QemuKeys.NETWORK_ALLOW_GUEST_ADDRESS + ", which its certificate does not name; give an "
                    + "http mirror (apt checks its signature) or let the scenario use 'network: open'");
        }
        if (GUEST_LOOPBACK.contains(host)) {
            throw invalid("the " + what + " at " + host + " is the guest itself; the guest reaches the host's "
                    + "127.0.0.1 at " + HOST_SEEN_FROM_GUEST);
        }
        int port = url.getPort() == -1 ? 80 : url.getPort();
        String target = (HOST_SEEN_FROM_GUEST.equals(host) ? "127.0.0.1" : host) + ":" + port;
        claim(byPort, port, target, "the " + what);
        return URI.create("http://" + QemuKeys.NETWORK_ALLOW_GUEST_ADDRESS + ":" + port + url.getRawPath());
    }

    /** One relay per guest port: a second service on the same port would be unreachable. */
    private static void claim(Map<Integer, String> byPort, int port, String target, String what)
            throws VboxmcpException {
        String before = byPort.putIfAbsent(port, target);
        if (before != null && !before.equals(target)) {
            throw invalid(what + " (" + target + ") and " + before + " both need port " + port + " at "
                    + QemuKeys.NETWORK_ALLOW_GUEST_ADDRESS + " in a restricted guest: serve one on another port");
        }
    }

    private static VboxmcpException invalid(String message) {
        return new VboxmcpException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
