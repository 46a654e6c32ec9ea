package io.vboxmcp.spi;

import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.VboxmcpException;

/**
 * A connection into a running guest (SSH in core). Thread-safe; each call opens its own session.
 *
 * @since 0.2.0
 */
public interface GuestChannel extends AutoCloseable {
    /**
     * Runs a command; a non-zero exit is a result, not an exception.
     *
     * @param command never null
     * @return never null
     * @throws VboxmcpException if the guest cannot be reached
     */
    ExecResult exec(GuestCommand command) throws VboxmcpException;

    /**
     * Writes {@code content} to {@code guestPath} (parents created) with the given octal mode, owned by root.
     *
     * @param content   never null
     * @param guestPath absolute, never null
     * @param mode      for example {@code 0644}
     * @throws VboxmcpException if the guest cannot be reached or refuses the write
     */
    void upload(byte[] content, String guestPath, int mode) throws VboxmcpException;

    @Override
    void close();
}
