package io.vboxmcp.mcp.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.mcp.McpPolicy;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code exec_in_vm}, {@code copy_to_vm} and {@code copy_from_vm}: everything runs inside the guest over the VM's
 * own channel (EXE-01: no tool runs a host command or touches a host path). Files travel as base64 through guest
 * commands, in chunks that stay far below the guest's argument limit; output and sizes are capped by the policy.
 */
final class GuestTools {
    /**
     * Raw bytes per {@code copy_to_vm} command: 1800 bytes are 2400 of base64. The manager's guest channel writes a
     * command three times into the line it sends (its setsid, timeout and plain variants), and dropbear (the busybox
     * test guest's SSH server) refuses lines over 9000 bytes; OpenSSH allows far more, but one size serves both.
     */
    private static final int CHUNK = 1800;
    private static final Duration COPY_TIMEOUT = Duration.ofSeconds(60);

    private final VmTools vms;
    private final McpPolicy policy;

    GuestTools(VmTools vms, McpPolicy policy) {
        this.vms = vms;
        this.policy = policy;
    }

    void register(Map<String, ToolHandler> handlers) {
        handlers.put("exec_in_vm", this::exec);
        handlers.put("copy_to_vm", this::copyTo);
        handlers.put("copy_from_vm", this::copyFrom);
    }

    Map<String, Object> exec(Call c) throws VboxmcpException {
        c.audit().put("vm", c.args().name("name"));
        String command = c.args().string("command", 16384, true);
        if (command.isBlank()) {
            throw Args.invalid("exec_in_vm: command is empty");
        }
        String user = c.args().string("user", 32, false);
        if (user != null && !user.matches("[a-z_][a-z0-9_-]{0,31}")) {
            throw Args.invalid("exec_in_vm: user '" + Args.shown(user) + "' is not a valid user name");
        }
        String dir = c.args().string("working_dir", 1024, false);
        if (dir != null) {
            GuestPaths.check("exec_in_vm", "working_dir", dir);
        }
        long maxSeconds = policy.maxExecTimeout().toSeconds();
        Integer timeout = c.args().integer("timeout_seconds", 1, 86400);
        if (timeout != null && timeout > maxSeconds) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "exec_in_vm: timeout_seconds " + timeout
                    + " is over this server's policy maximum of " + maxSeconds + " s");
        }
        c.audit().put("command", Args.shown(command));
        GuestCommand cmd = new GuestCommand(command, user, dir, Map.of(),
                timeout == null ? policy.maxExecTimeout() : Duration.ofSeconds(timeout), null);
        ExecResult r = vms.using(c, e -> e.vm.exec(cmd));
        int cap = policy.maxExecOutputBytes();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exit_code", r.exitCode());
        m.put("stdout", cap(r.stdout(), cap));
        m.put("stderr", cap(r.stderr(), cap));
        // EXE-04: a flood of output reaches the agent cut to the policy's cap, and says so
        m.put("truncated", r.truncated() || utf8(r.stdout()) > cap || utf8(r.stderr()) > cap);
        m.put("timed_out", r.timedOut());
        c.audit().put("exit_code", String.valueOf(r.exitCode()));
        return m;
    }

    Map<String, Object> copyTo(Call c) throws VboxmcpException {
        c.audit().put("vm", c.args().name("name"));
        String path = GuestPaths.file("copy_to_vm", "path", c.args().string("path", 1024, true));
        String encoding = c.args().choice("encoding", Set.of("text", "base64"), "text");
        String mode = c.args().string("mode", 4, false);
        if (mode != null && !mode.matches("[0-7]{3,4}")) {
            throw Args.invalid("copy_to_vm: mode must be octal such as 644");
        }
        // checked before decoding, so a huge argument costs no more than its own size
        String content = c.args().string("content", policy.maxCopyBytes() * 4 / 3 + 4, true);
        byte[] bytes;
        try {
            bytes = encoding.equals("base64") ? Base64.getDecoder().decode(content) : content.getBytes(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException bad) {
            throw Args.invalid("copy_to_vm: content is not valid base64");
        }
        if (bytes.length > policy.maxCopyBytes()) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "copy_to_vm: " + bytes.length + " bytes is over this"
                    + " server's policy maximum of " + policy.maxCopyBytes() + " bytes per file");
        }
        c.audit().put("path", Args.shown(path));
        return vms.using(c, e -> {
            String tmp = GuestPaths.quote(path + ".vboxmcp-part");
            String dir = path.substring(0, Math.max(1, path.lastIndexOf('/')));
            run(e, "mkdir -p " + GuestPaths.quote(dir) + " && : > " + tmp);
            for (int off = 0; off < bytes.length; off += CHUNK) {
                String b64 = Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(bytes, off,
                        Math.min(bytes.length, off + CHUNK)));
                run(e, "printf '%s' '" + b64 + "' | base64 -d >> " + tmp);
            }
            run(e, (mode == null ? "" : "chmod " + mode + " " + tmp + " && ") + "mv -f " + tmp + " "
                    + GuestPaths.quote(path));
            return Map.of("path", path, "bytes", bytes.length);
        });
    }

    Map<String, Object> copyFrom(Call c) throws VboxmcpException {
        c.audit().put("vm", c.args().name("name"));
        String path = GuestPaths.file("copy_from_vm", "path", c.args().string("path", 1024, true));
        String encoding = c.args().choice("encoding", Set.of("text", "base64"), "text");
        c.audit().put("path", Args.shown(path));
        byte[] bytes = vms.using(c, e -> read(e, path));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path);
        m.put("bytes", bytes.length);
        if (encoding.equals("text")) {
            try {
                m.put("content", StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
            } catch (CharacterCodingException notText) {
                throw Args.invalid("copy_from_vm: " + path + " is not UTF-8 text; ask with encoding=base64");
            }
        } else {
            m.put("content", Base64.getEncoder().encodeToString(bytes));
        }
        m.put("encoding", encoding);
        return m;
    }

    /** @return the guest file at {@code path}, refused over the policy's copy size */
    private byte[] read(OwnedVms.Entry e, String path) throws VboxmcpException {
        String q = GuestPaths.quote(path);
        String size = run(e, "test -f " + q + " || { echo 'not a regular file' >&2; exit 3; }; wc -c < " + q).trim();
        long n;
        try {
            n = Long.parseLong(size);
        } catch (NumberFormatException bad) {
            throw new VboxmcpException(ErrorCode.INTERNAL, "copy_from_vm: the guest answered '" + Args.shown(size)
                    + "' for the file size");
        }
        if (n > policy.maxCopyBytes()) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "copy_from_vm: " + path + " has " + n + " bytes,"
                    + " over this server's policy maximum of " + policy.maxCopyBytes() + " bytes per file");
        }
        return Base64.getMimeDecoder().decode(run(e, "head -c " + policy.maxCopyBytes() + " " + q + " | base64"));
    }

    private static String run(OwnedVms.Entry e, String command) throws VboxmcpException {
        ExecResult r = e.vm.exec(GuestCommand.of(command).withTimeout(COPY_TIMEOUT));
        if (!r.succeeded()) {
            throw new VboxmcpException(ErrorCode.IO, "the guest refused the copy (" + (r.exitCode() == -1
                    ? "its SSH server dropped the command" : "exit " + r.exitCode()) + "): " + Args.shown(r.stderr().strip()));
        }
        return r.stdout();
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** @return at most {@code max} UTF-8 bytes of {@code s}, cut on a character boundary */
    static String cap(String s, int max) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= max) {
            return s;
        }
        int end = max;
        while (end > 0 && (b[end] & 0xC0) == 0x80) {
            end--;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }
}
