package io.vboxmcp.cli.internal;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;

/**
 * The {@code --ready-timeout} option of {@code plan}, {@code create}, {@code test} and {@code mcp} (a picocli mixin,
 * one definition and one check for all four): how long a create waits for the guest's SSH.
 */
final class ReadyTimeoutOption {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--ready-timeout", paramLabel = "SECONDS", description = "How long a create waits for the guest's "
            + "SSH (default 180 or $VBOXMCP_READY_TIMEOUT; a Debian guest under TCG may need more).")
    Integer seconds;

    /**
     * @return the timeout given, null if none (the manager's default, key {@code ready.timeout})
     * @throws CommandLine.ParameterException (exit 2) if it is below one second
     */
    Duration duration() {
        if (seconds == null) {
            return null;
        }
        if (seconds < 1) {
            throw new CommandLine.ParameterException(mixee.commandLine(),
                    "--ready-timeout must be a positive number of seconds, not " + seconds);
        }
        return Duration.ofSeconds(seconds);
    }
}
