package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.libvirt.LibvirtException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code virsh -q -c <uri> <command...>} with a deadline, in the C locale (libvirt's messages untranslated, see
 * {@link LibvirtErrors}), and without a shell: every argument is one argv entry. Arguments are names this driver
 * made or checked, never raw user text, so none can read as a virsh option.
 */
final class Virsh {
    private final LibvirtSettings settings;

    Virsh(LibvirtSettings settings) {
        this.settings = settings;
    }

    /** Runs a command that must succeed; returns its standard output. */
    String run(String what, String... args) throws HypervisorException {
        return run(what, settings.timeout(), args);
    }

    String run(String what, Duration timeout, String... args) throws HypervisorException {
        try (var out = new java.io.ByteArrayOutputStream()) {
            exec(what, timeout, out, args);
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new HypervisorException("could not run virsh: " + e.getMessage(), e);
        }
    }

    /** Runs a command, streaming its standard output (a {@code vol-download} to {@code /dev/stdout}) into {@code sink}. */
    void exec(String what, Duration timeout, OutputStream sink, String... args) throws HypervisorException {
        List<String> cmd = new ArrayList<>(List.of(settings.virsh(), "-q", "-c", settings.uri()));
        cmd.addAll(List.of(args));
        Path err = null;
        try {
            // stderr to a file, not a pipe: a chatty failure cannot block while we read stdout
            err = Files.createTempFile("vboxmcp-virsh", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            p.getOutputStream().close();
            Thread pump = copyInBackground(p.getInputStream(), sink);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new LibvirtException(LibvirtException.Kind.TIMEOUT, what + " did not finish within "
                        + timeout.toSeconds() + " s on " + settings.uri(), null);
            }
            pump.join(TimeUnit.SECONDS.toMillis(10));
            if (p.exitValue() != 0) {
                throw LibvirtErrors.map(what, settings.uri(), Files.readString(err));
            }
        } catch (IOException e) {
            throw new HypervisorException("could not run " + settings.virsh() + " (install libvirt-clients): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HypervisorException(ErrorCode.CANCELLED, what + " interrupted", e);
        } finally {
            if (err != null) {
                try {
                    Files.deleteIfExists(err);
                } catch (IOException ignored) {
                    // a temp file; the OS cleans it
                }
            }
        }
    }

    private static Thread copyInBackground(InputStream in, OutputStream sink) {
        Thread t = new Thread(() -> {
            try (in) {
                in.transferTo(sink);
            } catch (IOException ignored) {
                // the exit status says whether the command worked
            }
        }, "virsh-stdout");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Runs a command whose "not found" failure means "already gone" (the undo verbs); other failures throw. */
    boolean runIfPresent(String what, String... args) throws HypervisorException {
        try {
            run(what, args);
            return true;
        } catch (LibvirtException e) {
            if (e.kind() == LibvirtException.Kind.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }
}
