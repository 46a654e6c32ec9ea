package io.vboxmcp.virtualbox.internal.cli;

import io.vboxmcp.VboxmcpException;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The seam between the VBoxManage adapter and the operating system: runs one command to completion. */
public interface CommandRunner {
    /**
     * @param argv    the executable and its arguments
     * @param env     variables added to (overriding) the inherited environment
     * @param timeout the process is killed after this long
     * @return the finished command's output and exit code
     * @throws VboxmcpException with {@code TIMEOUT} if the timeout killed it, {@code HYPERVISOR} if it could not start
     */
    CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) throws VboxmcpException;
}
