package io.vboxmcp.spi;

import java.util.Objects;

/**
 * A signature over a template's canonical manifest, as a source delivered it.
 *
 * @param format   {@code openpgp} or {@code ssh}, never null
 * @param bytes    the signature file's bytes, never null
 * @param fileName where it came from, for messages, never null
 *
 * @since 0.2.0
 */
public record DetachedSignature(String format, byte[] bytes, String fileName) {
    /**
     * Checks the components and copies the bytes.
     *
     * @param format   {@code openpgp} or {@code ssh}, never null
     * @param bytes    the signature file's bytes, never null
     * @param fileName where it came from, for messages, never null
     */
    public DetachedSignature {
        Objects.requireNonNull(format, "format");
        bytes = Objects.requireNonNull(bytes, "bytes").clone();
        Objects.requireNonNull(fileName, "fileName");
    }

    /** @return a copy of the signature file's bytes */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }
}
