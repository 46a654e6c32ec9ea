package io.vboxmcp.core.internal.snapshot;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.ReadWatchdog;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

import static io.vboxmcp.core.internal.ssh.SshGuestChannel.quote;

/**
 * A one-shot agent that a ready snapshot's guest leaves waiting on the driver's identity port (a virtio-serial port
 * whose host end only this host reaches, {@code ReadySnapshotSupport.identityPort}), so that a clone gets its
 * identity without a first SSH login: under TCG a login into a just-restored guest costs about a second (OpenSSH
 * re-executes itself, PAM opens a session, every program's code is translated anew), the agent is a shell that was
 * already running.
 *
 * <p>Protocol: the agent is started as root over the save's SSH session, right before the save, while the host end
 * is connected (a virtio-serial read returns end-of-file while nobody is connected on the host; the agent then
 * retries for a bounded time). It reads lines: {@code bye} ends it (the saved VM keeps running without it),
 * {@code go} turns it into {@code sh -s} reading the rest from the port, with its output going back the same way.
 * The host sends {@code go}, then the script in a subshell followed by a line that prints its exit status, then
 * {@code exit}; so every clone's agent runs exactly one script and is gone. Nothing in the guest listens on a
 * network for it; whoever can write to the host end could also drive the VM through QMP.
 */
public final class IdentityAgent {
    /** What the start command prints when the agent runs. */
    public static final String STARTED = "identity-agent=on";
    private static final String EXIT = "@@vboxmcp-identity-exit=";
    private static final int MAX_OUTPUT = 256 << 10;

    private IdentityAgent() {
    }

    /**
     * @param port the identity port's name ({@code /sys/class/virtio-ports/<port>/name})
     * @return a shell command, run as root in the guest, that starts the agent on the port if the guest has it and
     *         prints {@link #STARTED}; prints nothing (and succeeds) if the guest has no such port
     */
    public static String startCommand(String port) {
        // the agent: exec 3<> opens the port once (a virtio port has one opener), read -r reads byte by byte, so
        // `sh -s` gets the script's bytes from the first one after "go"; a failed read is end-of-file while the
        // host end is not connected: retried every 50 ms for at most about 30 s
        String agent = "exec 3<>\"$1\" || exit 1; n=0; while [ $n -lt 600 ]; do"
                + " if IFS= read -r l <&3; then case $l in go) exec sh -s <&3 >&3 2>&3;; bye) exit 0;; esac;"
                + " else n=$((n+1)); sleep 0.05; fi; done";
        return "p=; for d in /sys/class/virtio-ports/*; do [ -r \"$d/name\" ] || continue; n=; read -r n < \"$d/name\""
                + " || true; [ \"$n\" = " + quote(port) + " ] && p=/dev/${d##*/}; done;"
                + " if [ -n \"$p\" ] && [ -c \"$p\" ]; then s=; command -v setsid >/dev/null 2>&1 && s=setsid;"
                + " $s sh -c " + quote(agent) + " vboxmcp-identity \"$p\" </dev/null >/dev/null 2>&1 &"
                // still there a moment later: it holds the port (a second opener would have been refused)
                + " a=$!; sleep 0.2; if kill -0 $a 2>/dev/null; then echo " + STARTED + "; fi; fi";
    }

    /** @return a runner that sends one script to the agent waiting behind {@code port} */
    public static GuestIdentity.Runner runner(ByteChannel port) {
        return (script, timeout, lines) -> run(port, script, timeout, lines);
    }

    /**
     * Sends {@code go} and the script, then reads the agent's output line by line until its exit status.
     *
     * @throws VboxmcpException {@code TIMEOUT} if no status came within {@code timeout} or the port was hung up;
     *                          {@code CANCELLED} if interrupted
     */
    static ExecResult run(ByteChannel port, byte[] script, Duration timeout, Consumer<String> lines)
            throws VboxmcpException {
        ByteArrayOutputStream send = new ByteArrayOutputStream(script.length + 128);
        send.writeBytes("go\n(\n".getBytes(StandardCharsets.US_ASCII));
        send.writeBytes(script);
        send.writeBytes(("\n) </dev/null 2>&1; echo \"" + EXIT + "$?\"; exit\n").getBytes(StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try (ReadWatchdog dog = ReadWatchdog.start(port, timeout, timeout)) {
            ByteBuffer b = ByteBuffer.wrap(send.toByteArray());
            while (b.hasRemaining()) {
                port.write(b);
            }
            ByteBuffer in = ByteBuffer.allocate(8192);
            while (true) {
                in.clear();
                int n;
                try {
                    n = port.read(in);
                } catch (ClosedByInterruptException e) {
                    throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while the clone's identity was reset", e);
                } catch (IOException e) {
                    throw new VboxmcpException(ErrorCode.TIMEOUT, "the identity agent did not finish"
                            + dog.expiry().map(x -> " (" + x + ")").orElse(": " + e.getMessage()) + tail(out), e);
                }
                if (n < 0) {
                    throw new VboxmcpException(ErrorCode.TIMEOUT, "the identity port was hung up before the script "
                            + "finished" + tail(out));
                }
                dog.progress();
                for (int i = 0; i < n; i++) {
                    byte c = in.get(i);
                    if (c != '\n') {
                        if (line.size() < MAX_OUTPUT) {
                            line.write(c);
                        }
                        continue;
                    }
                    String l = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    if (l.startsWith(EXIT)) {
                        return new ExecResult(status(l.substring(EXIT.length())), out.toString(), "", false, false);
                    }
                    if (out.length() < MAX_OUTPUT) {
                        out.append(l).append('\n');
                    }
                    if (lines != null) {
                        lines.accept(l);
                    }
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.TIMEOUT, "could not send the script to the identity agent: "
                    + e.getMessage(), e);
        }
    }

    /** Ends a saved VM's agent (it was only needed in the saved state) and hangs up its port; never throws. */
    public static void dismiss(ByteChannel port) {
        try (port) {
            ByteBuffer b = ByteBuffer.wrap("bye\n".getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                port.write(b);
            }
        } catch (IOException | RuntimeException ignored) {
            // the agent also gives up by itself once the host end is gone
        }
    }

    private static int status(String s) throws VboxmcpException {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new VboxmcpException(ErrorCode.PROVISIONING, "the identity agent reported no exit status: " + s);
        }
    }

    private static String tail(StringBuilder out) {
        String s = out.toString().strip();
        return s.isEmpty() ? "" : "; its output: " + (s.length() > 400 ? "…" + s.substring(s.length() - 400) : s);
    }
}
