package io.vboxmcp.qemu.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short host command (qemu-img, genisoimage) with a deadline. */
final class HostCommand {
    private HostCommand() {
    }

    /**
     * @return the command's output (stdout and stderr)
     * @throws HypervisorException on a non-zero exit (carrying the output), on timeout ({@link ErrorCode#TIMEOUT})
     *                             or interrupt ({@link ErrorCode#CANCELLED})
     */
    static String run(List<String> cmd, Duration timeout, String what) throws HypervisorException {
        try {
            // a file, not a pipe: a chatty command cannot block on a full pipe while we wait for it
            Path out = Files.createTempFile("vboxmcp-qemu", ".out");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new HypervisorException(ErrorCode.TIMEOUT, what + " did not finish within " + timeout.toSeconds() + " s", null);
                }
                String text = Files.readString(out);
                if (p.exitValue() != 0) {
                    throw new HypervisorException(what + " failed (exit " + p.exitValue() + "): " + text.strip());
                }
                return text;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new HypervisorException("could not run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(ErrorCode.CANCELLED, what + " interrupted", e);
        }
    }
}
