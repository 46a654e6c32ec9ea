package io.vboxmcp.core.internal.ssh;

import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.GuestChannel;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * A {@link GuestChannel} over SSH (Apache MINA SSHD) with key authentication and a pinned host key: the first
 * contact records the guest's host key fingerprint in {@code pinFile}; later connections must present the same key.
 */
public final class SshGuestChannel implements GuestChannel {
    /** Output kept per stream; beyond it the result is marked truncated (EXE-04). */
    public static final int OUTPUT_CAP = 1 << 20;
    /** Dropbear refuses exec requests longer than 9000 bytes (its MAX_CMD_LEN); longer scripts go through a file. */
    private static final int INLINE_SCRIPT = 8000;
    private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final SshClient client;
    private final ClientSession session;
    private final String loginUser;
    private final String hostKeyFingerprint;

    private SshGuestChannel(SshClient client, ClientSession session, String loginUser, String hostKeyFingerprint) {
        this.client = client;
        this.session = session;
        this.loginUser = loginUser;
        this.hostKeyFingerprint = hostKeyFingerprint;
    }

    /**
     * Connects and authenticates once.
     *
     * @param pinFile where the host key fingerprint is pinned; created on first contact
     * @throws VboxmcpException {@link ErrorCode#TIMEOUT} if the guest did not answer in time,
     *                          {@link ErrorCode#SIGNATURE_INVALID} if the host key changed
     */
    public static SshGuestChannel connect(String host, int port, String user, KeyPair identity, Path pinFile,
                                          Duration timeout) throws VboxmcpException {
        return connect(host, port, user, identity, pinFile, timeout, timeout);
    }

    /**
     * Connects and authenticates once, giving up early if the server does not even identify itself.
     *
     * @param answerTimeout how long to wait for the server's identification line after the TCP connection; a booting
     *                      guest behind QEMU's user networking accepts the connection on the host side at once and
     *                      answers only when its SSH server runs, so a short value here lets the caller retry soon
     *                      instead of sitting on a stalled connection for the whole {@code timeout}
     */
    public static SshGuestChannel connect(String host, int port, String user, KeyPair identity, Path pinFile,
                                          Duration timeout, Duration answerTimeout) throws VboxmcpException {
        String pinned = readPin(pinFile);
        AtomicReference<String> seen = new AtomicReference<>();
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier((ClientSession s, SocketAddress remote, PublicKey key) -> {
            String fp = KeyUtils.getFingerPrint(key);
            seen.set(fp);
            return pinned == null || pinned.equals(fp);
        });
        client.start();
        ClientSession session = null;
        try {
            session = client.connect(user, host, port).verify(timeout).getSession();
            awaitIdentification(session, answerTimeout);
            session.addPublicKeyIdentity(identity);
            session.auth().verify(timeout);
            if (pinned == null && seen.get() != null) {
                AtomicFiles.write(pinFile, (seen.get() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            return new SshGuestChannel(client, session, user, seen.get());
        } catch (IOException | RuntimeException e) {
            closeQuietly(session);
            client.stop();
            throwIfInterrupted(e);
            if (pinned != null && seen.get() != null && !pinned.equals(seen.get())) {
                throw new VboxmcpException(ErrorCode.SIGNATURE_INVALID, "guest SSH host key changed: pinned " + pinned
                        + ", offered " + seen.get(), e);
            }
            throw new VboxmcpException(ErrorCode.TIMEOUT, "could not reach the guest over SSH at " + host + ":" + port
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads and initialises the SSH client's classes (MINA SSHD's client, I/O service, security providers, key
     * utilities) without connecting anywhere, so a caller that waits for a booting guest can do it meanwhile on
     * another thread: in a fresh process (the command line) this took most of a second at the first connect.
     * Failures are ignored; the real connect reports its own.
     */
    public static void warmUp(KeyPair identity) {
        try {
            SshClient client = SshClient.setUpDefaultClient();
            client.start();
            KeyUtils.getFingerPrint(identity.getPublic());
            client.stop();
        } catch (RuntimeException ignored) {
            // only a head start; connect() does the same work again and reports failures
        }
    }

    private static void awaitIdentification(ClientSession session, Duration answerTimeout) throws IOException {
        long until = System.nanoTime() + answerTimeout.toNanos();
        while (session.getServerVersion() == null) {
            if (!session.isOpen()) {
                throw new IOException("the guest closed the connection before identifying itself");
            }
            if (System.nanoTime() - until > 0) {
                throw new java.net.SocketTimeoutException("no SSH identification within " + answerTimeout.toMillis()
                        + " ms");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for the guest's SSH server");
            }
        }
    }

    /** @return the guest's host key fingerprint ({@code SHA256:...}) */
    public String hostKeyFingerprint() {
        return hostKeyFingerprint;
    }

    @Override
    public ExecResult exec(GuestCommand command) throws VboxmcpException {
        return run(wrap(command), null, command.timeout(), command.output(), command.output());
    }

    /**
     * Runs a shell script as the login user in one channel, with standard input from {@code /dev/null}: as the
     * command itself when it is short enough for every server, else sent on standard input into a file under
     * {@code /run} (or {@code /tmp}, mode 0600: it may carry secrets) that is removed afterwards. Nothing is left in
     * the guest either way. No guest-side watchdog: the client gives up after {@code timeout}.
     *
     * @param script  a POSIX shell script
     * @param timeout     how long the script may run
     * @param stdoutLines receives each line of standard output as it arrives (on an I/O thread: must not block);
     *                    may be null
     * @return its exit status and output
     * @throws VboxmcpException {@link ErrorCode#TIMEOUT} if the connection was lost
     */
    public ExecResult runScript(byte[] script, Duration timeout, java.util.function.Consumer<String> stdoutLines)
            throws VboxmcpException {
        String inline = "exec /bin/sh -c " + quote(new String(script, java.nio.charset.StandardCharsets.UTF_8))
                + " </dev/null";
        if (inline.length() <= INLINE_SCRIPT) {
            return run(inline, null, timeout, stdoutLines, null);  // no cat, no rm: each program costs under TCG
        }
        String cmd = "umask 077; d=/run; [ -w $d ] || d=/tmp; f=$d/vboxmcp-script.$$; "
                + "cat > \"$f\" && /bin/sh \"$f\" </dev/null; rc=$?; rm -f \"$f\"; exit $rc";
        return run(cmd, script, timeout, stdoutLines, null);
    }

    private ExecResult run(String command, byte[] stdin, Duration timeout, java.util.function.Consumer<String> outLines,
                           java.util.function.Consumer<String> errLines) throws VboxmcpException {
        OutputCollector out = new OutputCollector(OUTPUT_CAP, 40, outLines);
        OutputCollector err = new OutputCollector(OUTPUT_CAP, 40, errLines);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (ChannelExec ch = session.createExecChannel(command);
             OutputStream o = out.stream();
             OutputStream e = err.stream()) {
            ch.setOut(o);
            ch.setErr(e);
            if (stdin != null) {
                ch.setIn(new ByteArrayInputStream(stdin));
            }
            ch.open().verify(Duration.ofSeconds(30));
            // the guest-side `timeout` kills the command; the client waits a little longer as a backstop
            Set<ClientChannelEvent> ev = ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED),
                    timeout.plusSeconds(10).toMillis());
            boolean clientTimedOut = !ev.contains(ClientChannelEvent.CLOSED);
            Integer status = ch.getExitStatus();
            boolean timedOut = clientTimedOut
                    || ((status == null || status == 124 || status == 137) && System.nanoTime() >= deadline);
            o.flush();
            return new ExecResult(timedOut || status == null ? -1 : status, out.text(), err.text(),
                    out.truncated() || err.truncated(), timedOut);
        } catch (IOException ex) {
            throwIfInterrupted(ex);
            throw new VboxmcpException(ErrorCode.TIMEOUT, "lost the SSH connection to the guest: " + ex.getMessage(), ex);
        }
    }

    /**
     * MINA reports an interrupt as an {@link java.io.InterruptedIOException} and clears the flag; report it as a
     * cancellation and set the flag again, so callers stop instead of retrying.
     */
    private static void throwIfInterrupted(Throwable e) throws VboxmcpException {
        boolean interrupted = Thread.currentThread().isInterrupted();
        for (Throwable t = e; t != null && !interrupted; t = t.getCause()) {
            interrupted = t instanceof InterruptedException
                    || (t instanceof java.io.InterruptedIOException && !(t instanceof java.net.SocketTimeoutException));
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted while talking to the guest", e);
        }
    }

    @Override
    public void upload(byte[] content, String guestPath, int mode) throws VboxmcpException {
        if (!guestPath.startsWith("/") || guestPath.contains("'")) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "guest path must be absolute: " + guestPath);
        }
        String dir = guestPath.substring(0, Math.max(1, guestPath.lastIndexOf('/')));
        String cmd = "mkdir -p " + quote(dir) + " && cat > " + quote(guestPath) + ".tmp && chmod "
                + Integer.toOctalString(mode) + " " + quote(guestPath) + ".tmp && mv " + quote(guestPath) + ".tmp "
                + quote(guestPath);
        try (ChannelExec ch = session.createExecChannel(cmd)) {
            ch.setIn(new ByteArrayInputStream(content));
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            ch.setErr(err);
            ch.setOut(OutputStream.nullOutputStream());
            ch.open().verify(Duration.ofSeconds(30));
            ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofMinutes(5).toMillis());
            Integer status = ch.getExitStatus();
            if (status == null || status != 0) {
                throw new VboxmcpException(ErrorCode.PROVISIONING, "could not write " + guestPath + " in the guest: "
                        + err.toString(java.nio.charset.StandardCharsets.UTF_8).trim());
            }
        } catch (IOException ex) {
            throwIfInterrupted(ex);
            throw new VboxmcpException(ErrorCode.TIMEOUT, "lost the SSH connection to the guest: " + ex.getMessage(), ex);
        }
    }

    /** Builds the shell line: environment, working directory, user switch and the guest-side timeout. */
    String wrap(GuestCommand c) throws VboxmcpException {
        StringBuilder inner = new StringBuilder();
        for (Map.Entry<String, String> e : c.environment().entrySet()) {
            if (!ENV_NAME.matcher(e.getKey()).matches()) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "invalid environment variable name: " + e.getKey());
            }
            inner.append("export ").append(e.getKey()).append('=').append(quote(e.getValue())).append("; ");
        }
        if (c.workingDir() != null) {
            inner.append("cd ").append(quote(c.workingDir())).append(" && ");
        } else if (c.user() != null && !c.user().equals(loginUser)) {
            // su keeps the caller's directory; the contract says the user's home
            inner.append("cd ~ 2>/dev/null; ");
        }
        inner.append(c.command());
        String shell = "/bin/sh -c " + quote(inner.toString());
        if (c.user() != null && !c.user().equals(loginUser)) {
            if (!USER.matcher(c.user()).matches()) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "invalid guest user name: " + c.user());
            }
            // su's -c is run by the target user's shell; force /bin/sh so the line means the same everywhere
            shell = "su -s /bin/sh " + c.user() + " -c " + quote(inner.toString());
        }
        long secs = Math.max(1, c.timeout().toSeconds());
        // EXE-03: `timeout` kills only the shell it started (busybox's, and coreutils' when it cannot signal the
        // group): children and background jobs of a script outlived it. So the command runs in a session of its own
        // and a watchdog kills that whole process group at the deadline; the watchdog has its own session too, so it
        // goes away completely when the command ends first. `timeout` remains the fallback where setsid is missing.
        return "if command -v setsid >/dev/null 2>&1; then "
                + "setsid " + shell + " </dev/null & p=$!; "
                + "setsid /bin/sh -c \"sleep " + secs + "; kill -s KILL -- -$p\" </dev/null >/dev/null 2>&1 & w=$!; "
                + "wait $p; rc=$?; kill -s KILL -- -$w 2>/dev/null; exit $rc; "
                + "elif command -v timeout >/dev/null 2>&1; then exec timeout -s KILL " + secs + " " + shell
                + "; else exec " + shell + "; fi";
    }

    /** POSIX single-quote quoting. */
    public static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static String readPin(Path pinFile) throws VboxmcpException {
        try {
            return Files.exists(pinFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    ? new String(RegularFiles.read(pinFile, 64 << 10), java.nio.charset.StandardCharsets.UTF_8).trim() : null;
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read pinned host key " + pinFile, e);
        }
    }

    /**
     * Closes at once: every command has finished by then, and a graceful close waits for the guest's SSH server to
     * answer (under TCG a good part of a second, at the end of every command-line call).
     */
    private static void closeQuietly(ClientSession s) {
        if (s != null) {
            s.close(true);
        }
    }

    @Override
    public void close() {
        closeQuietly(session);
        client.stop();
    }
}
