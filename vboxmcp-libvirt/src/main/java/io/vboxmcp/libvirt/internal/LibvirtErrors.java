package io.vboxmcp.libvirt.internal;

import io.vboxmcp.libvirt.LibvirtException;
import io.vboxmcp.libvirt.LibvirtException.Kind;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Turns what {@code virsh} printed on a failure into a typed {@link LibvirtException}. virsh prints libvirt's own
 * error messages ({@code virerror.c}), which are stable across releases and the same for local and remote
 * connections; the patterns below are the ones we met (tests hold the real texts). Run with {@code LC_ALL=C}.
 */
final class LibvirtErrors {
    /** Longest libvirt text kept in a message: enough for QEMU's start-up complaint, not a whole log. */
    private static final int MAX = 2000;

    private LibvirtErrors() {
    }

    /**
     * @param what   the operation, for the message ("define domain vboxmcp-x")
     * @param uri    the connection URI
     * @param stderr what virsh printed, may be empty
     */
    static LibvirtException map(String what, String uri, String stderr) {
        String text = clean(stderr);
        return new LibvirtException(kind(text), what + " failed on " + uri + ": " + (text.isEmpty() ? "(no message)" : text), null);
    }

    static Kind kind(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        if (t.contains("host key verification failed") || t.contains("authentication failed")
                || t.contains("permission denied (publickey") || t.contains("authentication unavailable")
                || t.contains("access denied") || t.contains("certificate") && t.contains("verif")) {
            return Kind.AUTHENTICATION_FAILED;
        }
        if (t.contains("connection refused") || t.contains("failed to connect socket")
                || t.contains("no route to host") || t.contains("could not resolve hostname")
                || t.contains("name or service not known")) {
            return Kind.CONNECTION_REFUSED;
        }
        if (t.contains("already exists") || t.contains("exists already")) {
            return Kind.ALREADY_EXISTS;
        }
        if (t.contains("no space left on device") || t.contains("not enough space") || t.contains("insufficient space")
                || t.contains("disk quota exceeded")) {
            return Kind.POOL_FULL;
        }
        if (t.contains("not found") || t.contains("no domain with matching") || t.contains("no storage vol with matching")
                || t.contains("no storage pool with matching") || t.contains("failed to get domain")
                || t.contains("failed to get vol") || t.contains("failed to get pool")) {
            return Kind.NOT_FOUND;
        }
        return Kind.OTHER;
    }

    /** The non-empty lines without virsh's {@code error: } prefix, joined, capped. */
    static String clean(String stderr) {
        String s = Arrays.stream(stderr.split("\\R")).map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.startsWith("error: ") ? l.substring(7) : l)
                .collect(Collectors.joining("; "));
        return s.length() > MAX ? s.substring(0, MAX) + " ..." : s;
    }
}
