package io.vboxmcp;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A command to run inside a guest through {@code /bin/sh -c}.
 *
 * @param command     never null
 * @param user        guest user, null for the login user
 * @param workingDir  absolute guest directory, null for the user's home
 * @param environment extra environment, never null
 * @param timeout     never null; the command is killed when it runs out
 * @param output      receives each line of stdout and stderr as it arrives, may be null
 *
 * @since 0.2.0
 */
public record GuestCommand(String command, String user, String workingDir, Map<String, String> environment,
                           Duration timeout, Consumer<String> output) {
    /**
     * Checks the required fields and copies the environment.
     *
     * @param command     never null
     * @param user        guest user, null for the login user
     * @param workingDir  absolute guest directory, null for the user's home
     * @param environment extra environment, never null
     * @param timeout     never null; the command is killed when it runs out
     * @param output      receives each line of stdout and stderr as it arrives, may be null
     */
    public GuestCommand {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(timeout, "timeout");
        environment = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(environment == null ? Map.of() : environment));
    }

    /**
     * @param command the shell command line, never null
     * @return a command run as the login user with a 5 minute timeout
     */
    public static GuestCommand of(String command) {
        return new GuestCommand(command, null, null, Map.of(), Duration.ofMinutes(5), null);
    }

    /**
     * @param u the guest user to run as, null for the login user
     * @return a copy with that user
     */
    public GuestCommand withUser(String u) {
        return new GuestCommand(command, u, workingDir, environment, timeout, output);
    }

    /**
     * @param dir the absolute guest directory to run in, null for the user's home
     * @return a copy with that working directory
     */
    public GuestCommand withWorkingDir(String dir) {
        return new GuestCommand(command, user, dir, environment, timeout, output);
    }

    /**
     * @param env extra environment variables, replacing any set before
     * @return a copy with that environment
     */
    public GuestCommand withEnvironment(Map<String, String> env) {
        return new GuestCommand(command, user, workingDir, env, timeout, output);
    }

    /**
     * @param t how long the command may run before it is killed with everything it started, never null
     * @return a copy with that timeout
     */
    public GuestCommand withTimeout(Duration t) {
        return new GuestCommand(command, user, workingDir, environment, t, output);
    }

    /**
     * @param o receives each line of stdout and stderr as it arrives, may be null
     * @return a copy with that consumer
     */
    public GuestCommand withOutput(Consumer<String> o) {
        return new GuestCommand(command, user, workingDir, environment, timeout, o);
    }
}
