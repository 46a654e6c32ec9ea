package io.vboxmcp.junit5;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;

import java.time.Duration;

/**
 * When a VM is ready for a test beyond what the manager waits for (SSH answers, cloud-init done, provisioning
 * finished). Implementations use only the public {@link Vm} API; {@link Wait} has the usual ones.
 */
@FunctionalInterface
public interface WaitStrategy {
    /**
     * Returns once the VM is ready.
     *
     * @param vm      never null
     * @param timeout how long this strategy may take, never null
     * @throws VboxmcpException     with {@link io.vboxmcp.ErrorCode#TIMEOUT} if the VM was not ready in time
     * @throws InterruptedException if the thread was interrupted while waiting
     */
    void waitUntilReady(Vm vm, Duration timeout) throws VboxmcpException, InterruptedException;
}
