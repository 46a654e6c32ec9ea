package io.vboxmcp.template;

import java.time.Duration;
import java.util.Objects;

/**
 * One provisioning script; it runs inside the guest, never on the host.
 *
 * @param name       display name, never null
 * @param command    shell command line run by {@code /bin/sh -c} in the guest, never null
 * @param workingDir absolute guest directory, may be null (the user's home)
 * @param runAs      guest user, may be null ({@code root})
 * @param timeout    may be null (the manager's default script timeout)
 *
 * @since 0.2.0
 */
public record Script(String name, String command, String workingDir, String runAs, Duration timeout) {
    /**
     * Checks the required components.
     *
     * @param name       display name, never null
     * @param command    shell command line run by {@code /bin/sh -c} in the guest, never null
     * @param workingDir absolute guest directory, may be null (the user's home)
     * @param runAs      guest user, may be null ({@code root})
     * @param timeout    may be null (the manager's default script timeout)
     */
    public Script {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(command, "command");
    }
}
