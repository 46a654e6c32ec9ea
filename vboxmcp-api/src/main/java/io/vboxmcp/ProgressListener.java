package io.vboxmcp;

/**
 * Receives progress events. Called on the thread doing the work; must be fast and must not throw (an exception
 * is logged and ignored).
 *
 * @since 0.2.0
 */
@FunctionalInterface
public interface ProgressListener {
    /** A listener that ignores everything. */
    ProgressListener NONE = e -> { };

    /** @param event never null */
    void onEvent(ProgressEvent event);
}
