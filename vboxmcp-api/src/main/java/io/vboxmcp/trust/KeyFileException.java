package io.vboxmcp.trust;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

/**
 * A public key file holds something other than exactly one key: several keys (several armored blocks, several
 * keys in one block, several SSH lines) or data after the key. Refused whole, so that a pin never silently drops
 * part of what the operator gave; nothing was pinned. Code {@link ErrorCode#INVALID_ARGUMENT}.
 *
 * @since 0.2.0
 */
public class KeyFileException extends VboxmcpException {
    private static final long serialVersionUID = 1L;
    /** How many keys the file held. */
    private final int keysFound;

    /**
     * @param keysFound how many keys the file holds (1 when the problem is data after the one key)
     * @param message   never null
     */
    public KeyFileException(int keysFound, String message) {
        super(ErrorCode.INVALID_ARGUMENT, message);
        this.keysFound = keysFound;
    }

    /** @return how many keys the file holds */
    public int keysFound() {
        return keysFound;
    }
}
