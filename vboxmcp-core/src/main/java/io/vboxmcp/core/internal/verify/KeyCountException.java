package io.vboxmcp.core.internal.verify;

/** A key file holds several keys or data after its key; turned into {@link io.vboxmcp.trust.KeyFileException}. */
final class KeyCountException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    final int found;

    KeyCountException(int found, String message) {
        super(message);
        this.found = found;
    }
}
