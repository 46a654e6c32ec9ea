package io.vboxmcp;

import java.util.Objects;

/**
 * One problem found in a template document.
 *
 * @param file    the file it was found in (as given to the loader), never null
 * @param line    1-based line, or 0 if unknown
 * @param column  1-based column, or 0 if unknown
 * @param pointer JSON pointer to the offending value ({@code ""} for the document), never null
 * @param message what is wrong, never null
 *
 * @since 0.2.0
 */
public record Violation(String file, int line, int column, String pointer, String message) {
    /**
     * Checks the components.
     *
     * @param file    the file it was found in (as given to the loader), never null
     * @param line    1-based line, or 0 if unknown
     * @param column  1-based column, or 0 if unknown
     * @param pointer JSON pointer to the offending value ({@code ""} for the document), never null
     * @param message what is wrong, never null
     */
    public Violation {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(pointer, "pointer");
        Objects.requireNonNull(message, "message");
    }

    /** @return {@code file:line:column: /pointer: message}, the format editors and compilers use */
    @Override
    public String toString() {
        return file + ":" + line + ":" + column + ": " + (pointer.isEmpty() ? "/" : pointer) + ": " + message;
    }
}
