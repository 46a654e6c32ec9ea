package io.vboxmcp.virtualbox.internal.cli;

import java.util.List;
import java.util.Objects;

/**
 * A finished command. Line ends are normalised to {@code \n} (VBoxManage on Windows prints CRLF).
 *
 * @param argv     what ran
 * @param exitCode its exit status
 * @param stdout   never null
 * @param stderr   never null
 */
public record CommandResult(List<String> argv, int exitCode, String stdout, String stderr) {
    public CommandResult {
        argv = List.copyOf(argv);
        stdout = normalise(Objects.requireNonNullElse(stdout, ""));
        stderr = normalise(Objects.requireNonNullElse(stderr, ""));
    }

    private static String normalise(String s) {
        return s.replace("\r\n", "\n");
    }
}
