package io.vboxmcp.virtualbox.internal;

import java.util.Objects;
import java.util.Optional;

/**
 * One NAT port-forwarding rule as {@code --natpf<nic>} takes it and {@code Forwarding(i)=} prints it:
 * {@code name,proto,hostip,hostport,guestip,guestport}.
 *
 * @param nic       1-based NIC number
 * @param name      rule name, no commas
 * @param protocol  {@code tcp} or {@code udp}
 * @param hostIp    host address, empty for all
 * @param hostPort  host port
 * @param guestIp   guest address, empty for the DHCP one
 * @param guestPort guest port
 */
public record NatRule(int nic, String name, String protocol, String hostIp, int hostPort, String guestIp, int guestPort) {
    public NatRule {
        Objects.requireNonNull(name, "name");
        if (name.contains(",") || name.isBlank()) {
            throw new IllegalArgumentException("NAT rule name must be non-empty without commas: " + name);
        }
        protocol = Objects.requireNonNullElse(protocol, "tcp");
        hostIp = Objects.requireNonNullElse(hostIp, "");
        guestIp = Objects.requireNonNullElse(guestIp, "");
    }

    /** @return the {@code --natpf1} argument */
    public String spec() {
        return name + "," + protocol + "," + hostIp + "," + hostPort + "," + guestIp + "," + guestPort;
    }

    static Optional<NatRule> parse(int nic, String value) {
        String[] f = value.split(",", -1);
        if (f.length != 6) {
            return Optional.empty();
        }
        try {
            return Optional.of(new NatRule(nic, f[0], f[1], f[2], Integer.parseInt(f[3]), f[4], Integer.parseInt(f[5])));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
