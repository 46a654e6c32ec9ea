package io.vboxmcp.spi;

/**
 * One host port held for a driver by {@link HostPorts}: no other VM of any vboxmcp process on this host gets it
 * until {@link #close()}. A driver keeps it from {@code create} until its hypervisor has bound the port itself
 * (after {@code start}) or the machine is destroyed, whichever comes first.
 *
 * @since 0.2.0
 */
public interface HostPort extends AutoCloseable {
    /** @return the host address the port is held on ({@code 127.0.0.1} unless the template says otherwise) */
    String address();

    /** @return the port number, 1-65535 */
    int port();

    /** Gives the port back; idempotent, never throws. */
    @Override
    void close();
}
