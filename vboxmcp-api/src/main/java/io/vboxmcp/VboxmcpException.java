package io.vboxmcp;

import java.util.Objects;
import java.util.Optional;

/**
 * The one checked root exception of vboxmcp. Every failure a caller can act on is a subclass or carries an
 * {@link ErrorCode}. Third-party exceptions (Jackson, BouncyCastle, JGit, process failures) never escape
 * unwrapped; they are the {@link #getCause() cause}.
 *
 * @since 0.2.0
 */
public class VboxmcpException extends Exception {
    private static final long serialVersionUID = 1L;
    /** What went wrong, for programs. */
    private final ErrorCode code;
    /** The step that failed, set by the create pipeline; null outside it. */
    private volatile String step;

    /**
     * @param code    never null
     * @param message human readable, one sentence; never null
     */
    public VboxmcpException(ErrorCode code, String message) {
        this(code, message, null);
    }

    /**
     * @param code    never null
     * @param message never null
     * @param cause   may be null
     */
    public VboxmcpException(ErrorCode code, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** @return the error code, never null */
    public ErrorCode code() {
        return code;
    }

    /** @return the pipeline step that failed (for example {@code "provision"}), if the failure happened inside one */
    public Optional<String> step() {
        return Optional.ofNullable(step);
    }

    /**
     * Records the pipeline step in which this exception was raised; only the first call has an effect.
     *
     * @param stepName never null
     * @return this exception, for rethrowing
     */
    public VboxmcpException inStep(String stepName) {
        if (step == null) {
            step = Objects.requireNonNull(stepName, "stepName");
        }
        return this;
    }

    @Override
    public String getMessage() {
        String m = super.getMessage();
        return step == null ? m : "step '" + step + "' failed: " + m;
    }
}
