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
 */
public record GuestCommand(String command, String user, String workingDir, Map<String, String> environment,
                           Duration timeout, Consumer<String> output) {
    public GuestCommand {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(timeout, "timeout");
        environment = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(environment == null ? Map.of() : environment));
    }

    /** @return a command run as the login user with a 5 minute timeout */
    public static GuestCommand of(String command) {
        return new GuestCommand(command, null, null, Map.of(), Duration.ofMinutes(5), null);
    }

    public GuestCommand withUser(String u) {
        return new GuestCommand(command, u, workingDir, environment, timeout, output);
    }

    public GuestCommand withWorkingDir(String dir) {
        return new GuestCommand(command, user, dir, environment, timeout, output);
    }

    public GuestCommand withEnvironment(Map<String, String> env) {
        return new GuestCommand(command, user, workingDir, env, timeout, output);
    }

    public GuestCommand withTimeout(Duration t) {
        return new GuestCommand(command, user, workingDir, environment, t, output);
    }

    public GuestCommand withOutput(Consumer<String> o) {
        return new GuestCommand(command, user, workingDir, environment, timeout, o);
    }
}
