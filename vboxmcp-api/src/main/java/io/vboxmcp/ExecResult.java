package io.vboxmcp;

/**
 * What a command run in a guest returned.
 *
 * @param exitCode  the command's exit status; -1 if it was killed by its timeout
 * @param stdout    captured standard output (capped), never null
 * @param stderr    captured standard error (capped), never null
 * @param truncated whether output beyond the cap was dropped
 * @param timedOut  whether the timeout killed the command
 *
 * @since 0.2.0
 */
public record ExecResult(int exitCode, String stdout, String stderr, boolean truncated, boolean timedOut) {
    /**
     * Replaces null output with empty text.
     *
     * @param exitCode  the command's exit status; -1 if it was killed by its timeout
     * @param stdout    captured standard output (capped), never null
     * @param stderr    captured standard error (capped), never null
     * @param truncated whether output beyond the cap was dropped
     * @param timedOut  whether the timeout killed the command
     */
    public ExecResult {
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
    }

    /** @return whether the command exited 0 within its timeout */
    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }
}
