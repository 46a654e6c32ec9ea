package io.vboxmcp.git.internal;

import io.vboxmcp.ProgressEvent;
import io.vboxmcp.spi.ProviderContext;

import java.time.Duration;

/** The progress events of one Git source (step {@code git-sync}); a failing listener never breaks the source. */
final class SourceEvents {
    static final String STEP = "git-sync";

    private final ProviderContext context;
    private final String sourceId;

    SourceEvents(ProviderContext context, String sourceId) {
        this.context = context;
        this.sourceId = sourceId;
    }

    /** A warning: an INFO event whose message starts with "warning:", so every listener shows it as one. */
    void warning(String message) {
        info("warning: " + message);
    }

    void info(String message) {
        emit(new ProgressEvent(ProgressEvent.Kind.INFO, null, STEP, "git source '" + sourceId + "': " + message,
                -1, -1, Duration.ZERO));
    }

    void synced(String message, int tags, Duration took) {
        emit(new ProgressEvent(ProgressEvent.Kind.STEP_FINISHED, null, STEP, message, tags, tags, took));
    }

    private void emit(ProgressEvent e) {
        try {
            context.progress().onEvent(e);
        } catch (RuntimeException ignored) {
            // a listener must not break the source
        }
    }
}
