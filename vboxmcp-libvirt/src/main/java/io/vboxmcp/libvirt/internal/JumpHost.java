package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.libvirt.LibvirtKeys;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The libvirt host as an SSH jump: the user, host and port of a {@code qemu+ssh://} URI, the identity the connection
 * uses and the known_hosts file its host key must be in. QEMU's forwards bind on the libvirt host's loopback, so a
 * caller on another machine reaches a guest only through that host ({@link SshTunnels}).
 *
 * @param user       login user (the URI's, else this process's user, as {@code ssh} would)
 * @param host       the libvirt host
 * @param port       its SSH port
 * @param identity   private key file, null to be looked up when the tunnel opens (first of {@code ~/.ssh/id_*})
 * @param knownHosts known_hosts file that must hold the host's key
 */
record JumpHost(String user, String host, int port, Path identity, Path knownHosts) {
    private static final List<String> SSH_SCHEMES = List.of("qemu+ssh", "qemu+libssh", "qemu+libssh2");
    private static final List<String> DEFAULT_KEYS = List.of("id_ed25519", "id_ecdsa", "id_rsa");

    /**
     * @param identityKey   {@link LibvirtKeys#SSH_IDENTITY}, if set
     * @param knownHostsKey {@link LibvirtKeys#SSH_KNOWN_HOSTS}, if set
     * @return the jump for an SSH transport URI; empty for local and non-SSH connections
     */
    static Optional<JumpHost> of(URI uri, Optional<String> identityKey, Optional<String> knownHostsKey) {
        String scheme = Optional.ofNullable(uri.getScheme()).orElse("").toLowerCase(Locale.ROOT);
        if (!SSH_SCHEMES.contains(scheme) || uri.getHost() == null) {
            return Optional.empty();
        }
        String user = Optional.ofNullable(uri.getUserInfo()).filter(u -> !u.isEmpty())
                .orElse(System.getProperty("user.name"));
        String identity = identityKey.or(() -> param(uri, "keyfile")).map(String::trim).orElse(null);
        String known = knownHostsKey.or(() -> param(uri, "known_hosts")).map(String::trim)
                .orElse(home().resolve(".ssh/known_hosts").toString());
        return Optional.of(new JumpHost(user, uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 22,
                identity == null ? null : Path.of(identity), Path.of(known)));
    }

    private static Optional<String> param(URI uri, String name) {
        String q = Optional.ofNullable(uri.getRawQuery()).orElse("");
        for (String p : q.isEmpty() ? new String[0] : q.split("&")) {
            String[] kv = p.split("=", 2);
            if (kv.length == 2 && kv[0].equalsIgnoreCase(name)) {
                return Optional.of(URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    private static Path home() {
        return Path.of(System.getProperty("user.home"));
    }

    /** @return the identity file: the configured one, else the first of {@code ~/.ssh/id_ed25519, id_ecdsa, id_rsa} */
    Path identityFile() throws HypervisorException {
        if (identity != null) {
            return identity;
        }
        return DEFAULT_KEYS.stream().map(k -> home().resolve(".ssh").resolve(k)).filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new HypervisorException(ErrorCode.INVALID_ARGUMENT, "no SSH identity for the jump to "
                        + this + ": set " + LibvirtKeys.SSH_IDENTITY + " or the URI's keyfile parameter", null));
    }

    @Override
    public String toString() {
        return user + "@" + host + ":" + port;
    }
}
