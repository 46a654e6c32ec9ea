package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.libvirt.LibvirtKeys;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.support.DriverSettings;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The driver's configuration, read once from the provider context ({@link LibvirtKeys}) and checked: a URI that
 * would make {@code virsh} read an option, a non-QEMU driver or SSH without host key checking is refused here.
 *
 * @param uri            the connection URI
 * @param remote         whether the URI reaches libvirt through a network transport (host paths are not ours)
 * @param pool           storage pool name
 * @param poolPath       target folder of the pool when the driver creates it
 * @param domainType     {@code qemu} (TCG) or {@code kvm}
 * @param machine        machine type
 * @param virsh          the {@code virsh} command
 * @param timeout        deadline of one ordinary virsh call
 * @param powerdownGrace default grace for {@code stop}
 * @param verifyEveryUse whether existing base volumes are read back on every create ({@link LibvirtKeys#VERIFY_BASE})
 * @param progress       fallback listener
 * @param jump           the SSH jump to the guests' forwards for {@code qemu+ssh://} connections, else null
 */
record LibvirtSettings(String uri, boolean remote, String pool, String poolPath, String domainType, String machine,
                       String virsh, Duration timeout, Duration powerdownGrace, boolean verifyEveryUse,
                       ProgressListener progress, JumpHost jump) {

    static final String DEFAULT_URI = "qemu:///system";
    private static final Pattern SCHEME = Pattern.compile("qemu(\\+(unix|ssh|libssh|libssh2|tls|tcp|ext))?");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    static LibvirtSettings from(ProviderContext ctx) throws HypervisorException {
        String uri = ctx.config(LibvirtKeys.URI).map(String::trim).filter(s -> !s.isEmpty()).orElse(DEFAULT_URI);
        boolean remote = checkUri(uri);
        String pool = ctx.config(LibvirtKeys.POOL).map(String::trim).orElse("vboxmcp");
        if (!NAME.matcher(pool).matches()) {
            throw invalid(LibvirtKeys.POOL + " must be a plain name (letters, digits, _ . -), not '" + pool + "'");
        }
        String poolPath = ctx.config(LibvirtKeys.POOL_PATH).map(String::trim).orElse("/var/lib/libvirt/images/vboxmcp");
        if (!poolPath.startsWith("/") || poolPath.chars().anyMatch(c -> c < 0x20 || c == '\'' || c == '"')) {
            throw invalid(LibvirtKeys.POOL_PATH + " must be an absolute path, not '" + poolPath + "'");
        }
        String type = ctx.config(LibvirtKeys.DOMAIN_TYPE).map(s -> s.trim().toLowerCase(Locale.ROOT)).orElse("qemu");
        if (!type.equals("qemu") && !type.equals("kvm")) {
            throw invalid(LibvirtKeys.DOMAIN_TYPE + " must be qemu or kvm, not '" + type + "'");
        }
        String machine = ctx.config(LibvirtKeys.MACHINE).map(String::trim).orElse("q35");
        if (!machine.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw invalid(LibvirtKeys.MACHINE + " is not a machine type: '" + machine + "'");
        }
        String verify = ctx.config(LibvirtKeys.VERIFY_BASE).map(s -> s.trim().toLowerCase(Locale.ROOT)).orElse("once-per-process");
        if (!verify.equals("once-per-process") && !verify.equals("every-use")) {
            throw invalid(LibvirtKeys.VERIFY_BASE + " must be once-per-process or every-use, not '" + verify + "'");
        }
        return new LibvirtSettings(uri, remote, pool, poolPath, type, machine,
                ctx.config(LibvirtKeys.VIRSH).map(String::trim).orElse("virsh"),
                DriverSettings.millis(ctx, LibvirtKeys.TIMEOUT, 60_000),
                DriverSettings.millis(ctx, LibvirtKeys.POWERDOWN_GRACE, 30_000),
                verify.equals("every-use"),
                ctx.progress(), JumpHost.of(URI.create(uri), ctx.config(LibvirtKeys.SSH_IDENTITY),
                        ctx.config(LibvirtKeys.SSH_KNOWN_HOSTS)).orElse(null));
    }

    /**
     * Checks a connection URI.
     *
     * @return whether it is remote: a network transport (ssh, tls, tcp, libssh) or a host name, even a loopback one,
     * since then the daemon's files are not necessarily this host's
     */
    static boolean checkUri(String uri) throws HypervisorException {
        if (uri.length() > 1024 || uri.chars().anyMatch(c -> c <= 0x20 || c == 0x7f) || uri.startsWith("-")) {
            throw invalid(LibvirtKeys.URI + " must be a URI without spaces or control characters");
        }
        URI u;
        try {
            u = new URI(uri);
        } catch (URISyntaxException e) {
            throw invalid(LibvirtKeys.URI + " is not a URI: " + e.getMessage());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!SCHEME.matcher(scheme).matches()) {
            throw invalid(LibvirtKeys.URI + " must use libvirt's qemu driver (qemu://, qemu+ssh://, qemu+tls://, ...), not '"
                    + scheme + "'");
        }
        String path = Optional.ofNullable(u.getPath()).orElse("");
        if (!path.equals("/system") && !path.equals("/session")) {
            throw invalid(LibvirtKeys.URI + " must end in /system or /session, not '" + path + "'");
        }
        String query = Optional.ofNullable(u.getQuery()).orElse("");
        for (String param : query.isEmpty() ? new String[0] : query.split("&")) {
            String name = param.split("=", 2)[0].toLowerCase(Locale.ROOT);
            if (name.equals("no_verify")) {
                throw invalid(LibvirtKeys.URI + ": no_verify turns off SSH host key and TLS certificate checks;"
                        + " pin the host's key (known_hosts) or certificate instead");
            }
        }
        boolean networkTransport = scheme.contains("+") && !scheme.endsWith("+unix");
        return networkTransport || (u.getHost() != null && !u.getHost().isEmpty());
    }

    private static HypervisorException invalid(String message) {
        return new HypervisorException(ErrorCode.INVALID_ARGUMENT, message, null);
    }
}
