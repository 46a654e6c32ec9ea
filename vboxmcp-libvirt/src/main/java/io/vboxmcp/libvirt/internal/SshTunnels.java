package io.vboxmcp.libvirt.internal;

import io.vboxmcp.HypervisorException;
import io.vboxmcp.libvirt.LibvirtException;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.HostPorts;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.common.util.security.SecurityUtils;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SSH jump through the libvirt host: one SSH session to {@link JumpHost} (Apache MINA SSHD, key authentication,
 * the host's key checked against its known_hosts file and never accepted unknown or changed), and per machine one
 * local forward ({@code ssh -L 127.0.0.1:L:127.0.0.1:R}) for each of its forwarded ports. The {@code Machine} a
 * remote connection hands to core names the local ends, so readiness, provisioning and the template's ports all go
 * through the jump without the api or core knowing about it. The forwards live as long as this driver (this
 * process); {@code find} in another process opens them again.
 */
final class SshTunnels implements AutoCloseable {
    private final JumpHost jump;
    private final Duration timeout;
    /** The local ends are this machine's ports: held through the one rule every driver uses. */
    private final HostPorts hostPorts;
    private SshClient client;
    private ClientSession session;
    /** Whether the last connect failed on the host key (for a message that says so). */
    private volatile boolean hostKeyRefused;
    private final Map<Path, Open> forwards = new HashMap<>();

    /** One machine's forwards: guest port to local port, the local ends to stop and their ports to give back. */
    private record Open(Map<Integer, Integer> local, List<SshdSocketAddress> bound, List<HostPort> held) {
    }

    SshTunnels(JumpHost jump, Duration timeout, HostPorts hostPorts) {
        this.jump = jump;
        this.timeout = timeout;
        this.hostPorts = hostPorts;
    }

    /**
     * Opens the local ends of one machine's forwards, or returns the open ones (a handle found again keeps the
     * ports of the handle create returned).
     *
     * @param remoteHost the address the forwards are bound to on the libvirt host
     * @param ports      guest port to the libvirt host's port
     * @return guest port to the local port on 127.0.0.1 of this machine, in the same order
     */
    synchronized Map<Integer, Integer> open(Path vmDir, String remoteHost, Map<Integer, Integer> ports)
            throws LibvirtException {
        ClientSession s = session();
        Open open = forwards.get(vmDir);
        if (open != null) {
            return open.local();
        }
        Map<Integer, Integer> local = new LinkedHashMap<>();
        List<SshdSocketAddress> bound = new ArrayList<>();
        List<HostPort> held = new ArrayList<>();
        try {
            for (Map.Entry<Integer, Integer> p : ports.entrySet()) {
                // held (a lock file, no socket) for as long as the forward listens, so no other VM takes it
                HostPort h = hostPorts.allocate("127.0.0.1");
                held.add(h);
                SshdSocketAddress b = s.startLocalPortForwarding(new SshdSocketAddress("127.0.0.1", h.port()),
                        new SshdSocketAddress(remoteHost, p.getValue()));
                bound.add(b);
                local.put(p.getKey(), b.getPort());
            }
        } catch (HypervisorException | IOException | RuntimeException e) {
            stop(s, bound);
            held.forEach(HostPort::close);
            throw new LibvirtException(LibvirtException.Kind.OTHER, "could not forward the guest's ports through the "
                    + "SSH jump " + jump + ": " + e.getMessage(), e);
        }
        forwards.put(vmDir, new Open(java.util.Collections.unmodifiableMap(local), bound, held));
        return local;
    }

    /** Closes one machine's local forwards; a machine without any is a no-op. */
    synchronized void close(Path vmDir) {
        Open open = forwards.remove(vmDir);
        if (open != null) {
            if (session != null) {
                stop(session, open.bound());
            }
            open.held().forEach(HostPort::close);
        }
    }

    private static void stop(ClientSession s, List<SshdSocketAddress> bound) {
        for (SshdSocketAddress b : bound) {
            try {
                s.stopLocalPortForwarding(b);
            } catch (IOException | RuntimeException ignored) {
                // the session is gone with its forwards
            }
        }
    }

    /** The session, connected and authenticated on first use and again after it dropped. */
    private ClientSession session() throws LibvirtException {
        if (session != null && session.isOpen()) {
            return session;
        }
        forwards.values().forEach(o -> o.held().forEach(HostPort::close));
        forwards.clear(); // they died with the old session
        KeyPair identity = identity();
        if (client == null) {
            client = SshClient.setUpDefaultClient();
            // unknown and changed host keys are refused (reject-all for whatever known_hosts does not vouch for)
            KnownHostsServerKeyVerifier known = new KnownHostsServerKeyVerifier(RejectAllServerKeyVerifier.INSTANCE,
                    jump.knownHosts());
            client.setServerKeyVerifier((cs, remote, key) -> {
                boolean ok = known.verifyServerKey(cs, remote, key);
                hostKeyRefused = !ok;
                return ok;
            });
            // only what the configuration names: no ~/.ssh/config aliases, no keys picked up on the side
            client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
            client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
            client.start();
        }
        ClientSession s = null;
        hostKeyRefused = false;
        try {
            s = client.connect(jump.user(), jump.host(), jump.port()).verify(timeout).getSession();
            s.addPublicKeyIdentity(identity);
            s.auth().verify(timeout);
            session = s;
            return s;
        } catch (IOException | RuntimeException e) {
            if (s != null) {
                s.close(true);
            }
            String why = hostKeyRefused ? "its host key is not in " + jump.knownHosts() + " (unknown or changed)"
                    : e.getMessage();
            throw new LibvirtException(refused(e) ? LibvirtException.Kind.CONNECTION_REFUSED
                    : LibvirtException.Kind.AUTHENTICATION_FAILED, "SSH jump to " + jump + " failed: " + why, e);
        }
    }

    private static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return true;
            }
        }
        return false;
    }

    private KeyPair identity() throws LibvirtException {
        Path file;
        try {
            file = jump.identityFile();
        } catch (HypervisorException e) {
            throw new LibvirtException(LibvirtException.Kind.AUTHENTICATION_FAILED, e.getMessage(), null);
        }
        try (InputStream in = Files.newInputStream(file)) {
            Iterator<KeyPair> it = SecurityUtils.loadKeyPairIdentities(null, file::toString, in, null).iterator();
            if (it.hasNext()) {
                return it.next();
            }
            throw new GeneralSecurityException("no key in the file");
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new LibvirtException(LibvirtException.Kind.AUTHENTICATION_FAILED, "cannot read the SSH identity "
                    + file + " for the jump to " + jump + " (an unencrypted OpenSSH or PEM key): " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        forwards.values().forEach(o -> o.held().forEach(HostPort::close));
        forwards.clear();
        if (session != null) {
            session.close(true);
            session = null;
        }
        if (client != null) {
            client.stop();
            client = null;
        }
    }
}
