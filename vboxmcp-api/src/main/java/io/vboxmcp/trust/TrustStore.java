package io.vboxmcp.trust;

import io.vboxmcp.VboxmcpException;

import java.nio.file.Path;
import java.util.List;

/**
 * The public keys an operator pins per template source, stored under {@code <home>/trust/<sourceId>/} (and
 * {@code <home>/trust/global/} for keys trusted for every source). Writes are atomic; thread-safe.
 *
 * <p>Pinning a key for a source also means that source must be signed from then on, whatever the
 * {@link io.vboxmcp.TrustPolicy} says: a source that was signed cannot silently become unsigned.
 *
 * @since 0.2.0
 */
public interface TrustStore {
    /** The pseudo source id whose keys are trusted for every source. */
    String GLOBAL = "global";

    /**
     * Pins a public key. Re-adding a key with the same fingerprint replaces it (for example with a copy that now
     * carries a revocation).
     *
     * @param sourceId      a source id ({@code [a-z0-9][a-z0-9._-]*}, at most 64 characters) or {@link #GLOBAL}, never null
     * @param publicKeyFile an armored OpenPGP public key ({@code gpg --export --armor}) or one OpenSSH public key
     *                      line ({@code id_ed25519.pub}), never null
     * @return the pinned key, never null
     * @throws VboxmcpException {@code INVALID_ARGUMENT} if the id or the key file is malformed, a secret key, or holds
     *                          more than one key; {@code IO} if it cannot be written. Nothing is written on failure.
     */
    PinnedKey add(String sourceId, Path publicKeyFile) throws VboxmcpException;

    /**
     * @param sourceId a source id or {@link #GLOBAL}, never null
     * @return the keys pinned for exactly that id (not including global ones), sorted by fingerprint, never null
     * @throws VboxmcpException {@code INVALID_ARGUMENT} if the id is malformed
     */
    List<PinnedKey> list(String sourceId) throws VboxmcpException;

    /**
     * @return every pinned key of every source, global ones included, never null
     * @throws VboxmcpException if the trust store cannot be read
     */
    List<PinnedKey> listAll() throws VboxmcpException;

    /**
     * @param sourceId    a source id or {@link #GLOBAL}, never null
     * @param fingerprint as {@link PinnedKey#fingerprint()}, never null
     * @return whether a key was removed
     * @throws VboxmcpException {@code INVALID_ARGUMENT} if the id is malformed; {@code IO} if it cannot be removed
     */
    boolean remove(String sourceId, String fingerprint) throws VboxmcpException;
}
