package io.vboxmcp;

/**
 * A guest TCP port forwarded to the host.
 *
 * @param guestPort 1..65535
 * @param hostPort  1..65535 once allocated; 0 in a plan means "allocate a free port"
 * @param hostAddress host address bound, normally {@code 127.0.0.1}
 *
 * @since 0.2.0
 */
public record PortForward(int guestPort, int hostPort, String hostAddress) {
    /**
     * Checks the port ranges.
     *
     * @param guestPort 1..65535
     * @param hostPort  1..65535 once allocated; 0 in a plan means "allocate a free port"
     * @param hostAddress host address bound, normally {@code 127.0.0.1}
     */
    public PortForward {
        if (guestPort < 1 || guestPort > 65535) {
            throw new IllegalArgumentException("guest port out of range: " + guestPort);
        }
        if (hostPort < 0 || hostPort > 65535) {
            throw new IllegalArgumentException("host port out of range: " + hostPort);
        }
        hostAddress = hostAddress == null ? "127.0.0.1" : hostAddress;
    }
}
