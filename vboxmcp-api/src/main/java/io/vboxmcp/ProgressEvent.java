package io.vboxmcp;

import java.time.Duration;
import java.util.Objects;

/**
 * Something that happened while a VM was being created or a download progressed.
 *
 * @param kind    never null
 * @param vmName  the VM concerned, may be null (for example a repository download)
 * @param step    pipeline step ({@code resolve}, {@code verify}, {@code load}, {@code plan}, {@code create},
 *                {@code start}, {@code guest-ready}, {@code provision}) or a sub-step, never null
 * @param message human readable detail, never null
 * @param done    bytes or units done, -1 if not applicable
 * @param total   bytes or units expected, -1 if unknown
 * @param elapsed time since the step started, never null
 *
 * @since 0.2.0
 */
public record ProgressEvent(Kind kind, String vmName, String step, String message, long done, long total,
                            Duration elapsed) {
    /** What the event reports. */
    public enum Kind {
        /** A step of the pipeline began. */
        STEP_STARTED,
        /** A step finished; {@code elapsed} is its duration. */
        STEP_FINISHED,
        /** A step failed; the create is being undone. */
        STEP_FAILED,
        /** Bytes of a download or copy: {@code done} of {@code total}. */
        BYTES,
        /** A line of output of a provisioning command. */
        OUTPUT,
        /** Anything else worth showing. */
        INFO
    }

    /**
     * Checks the required components.
     *
     * @param kind    never null
     * @param vmName  the VM concerned, may be null (for example a repository download)
     * @param step    pipeline step ({@code resolve}, {@code verify}, {@code load}, {@code plan}, {@code create},
     *                {@code start}, {@code guest-ready}, {@code provision}) or a sub-step, never null
     * @param message human readable detail, never null
     * @param done    bytes or units done, -1 if not applicable
     * @param total   bytes or units expected, -1 if unknown
     * @param elapsed time since the step started, never null
     */
    public ProgressEvent {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(elapsed, "elapsed");
    }

    /** @return percent done in 0..100, or -1 if unknown */
    public int percent() {
        return total <= 0 || done < 0 ? -1 : (int) Math.min(100, done * 100 / total);
    }
}
