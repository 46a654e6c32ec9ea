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
 */
public record ProgressEvent(Kind kind, String vmName, String step, String message, long done, long total,
                            Duration elapsed) {
    /** What the event reports. */
    public enum Kind { STEP_STARTED, STEP_FINISHED, STEP_FAILED, BYTES, OUTPUT, INFO }

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
