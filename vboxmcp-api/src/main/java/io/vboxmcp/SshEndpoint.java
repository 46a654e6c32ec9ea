package io.vboxmcp;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to reach a guest's SSH server from the host.
 *
 * @param host           host address, normally {@code 127.0.0.1}, never null
 * @param port           host port forwarded to the guest's port 22
 * @param user           login user, never null
 * @param privateKey     the per-VM private key file (OpenSSH format), may be null before provisioning keys exist
 * @param hostKeyPin     {@code SHA256:...} fingerprint of the guest host key pinned on first contact, may be null
 *
 * @since 0.2.0
 */
public record SshEndpoint(String host, int port, String user, Path privateKey, String hostKeyPin) {
    /**
     * Checks the components.
     *
     * @param host           host address, normally {@code 127.0.0.1}, never null
     * @param port           host port forwarded to the guest's port 22
     * @param user           login user, never null
     * @param privateKey     the per-VM private key file (OpenSSH format), may be null before provisioning keys exist
     * @param hostKeyPin     {@code SHA256:...} fingerprint of the guest host key pinned on first contact, may be null
     */
    public SshEndpoint {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }
}
