package io.vboxmcp;

import java.util.List;
import java.util.Optional;

/**
 * Guest provisioning failed: a package install or a script exited non-zero or timed out.
 *
 * @since 0.2.0
 */
public class ProvisioningException extends VboxmcpException {
    private static final long serialVersionUID = 1L;
    /** The script name or {@code "packages.system"}. */
    private final String item;
    /** The exit status, -1 if killed or timed out. */
    private final int exitCode;
    /** The last lines of output, oldest first. */
    private final List<String> lastOutput;

    /**
     * @param code       {@link ErrorCode#PROVISIONING}, or {@link ErrorCode#TIMEOUT} if the command ran out of time
     * @param item       the script name or {@code "packages.system"}, never null
     * @param exitCode   the exit status, or -1 if killed or timed out
     * @param lastOutput the last lines of combined output, never null
     * @param message    never null
     * @param cause      may be null
     */
    public ProvisioningException(ErrorCode code, String item, int exitCode, List<String> lastOutput, String message, Throwable cause) {
        super(code, message, cause);
        this.item = item;
        this.exitCode = exitCode;
        this.lastOutput = List.copyOf(lastOutput);
    }

    /** @return the failing script's name or the package manager step, never null */
    public String item() {
        return item;
    }

    /** @return the exit status, or -1 if the command was killed by a timeout */
    public int exitCode() {
        return exitCode;
    }

    /** @return the last lines of the command's output (capped), never null */
    public List<String> lastOutput() {
        return lastOutput;
    }

    /** @return the exit code if the command exited */
    public Optional<Integer> exitStatus() {
        return exitCode < 0 ? Optional.empty() : Optional.of(exitCode);
    }
}
