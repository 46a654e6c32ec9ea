package io.vboxmcp.cli.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.vboxmcp.cli.internal.VmCommands.checkVmName;
import static io.vboxmcp.cli.internal.VmCommands.find;

/** {@code vboxmcp ssh}: runs a command in a VM, or opens an interactive shell with its key and pinned host key. */
@Command(name = "ssh", header = "Run a command in a VM, or open a shell",
    description = "Runs a command in the VM (everything after VM), or opens an interactive "
        + "shell with the system ssh, the VM's key and its pinned host key. With a command, the exit status is "
        + "the command's.")
final class SshCommand extends VboxmcpCommand.Sub {
    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "Guest user (default: the login user).")
    String user;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "Kill the command after this long (default ${DEFAULT-VALUE}).")
    int timeout;

    @Parameters(index = "0", paramLabel = "VM")
    String vm;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "Command run with /bin/sh -c in the guest.")
    List<String> command = new ArrayList<>();

    @Override
    int run(Session s) throws Exception {
        checkVmName(this, vm);
        List<String> cmd = new ArrayList<>(command);
        if (!cmd.isEmpty() && cmd.get(0).equals("--")) {
            cmd.remove(0);
        }
        if (timeout < 1) {
            throw usage("--timeout must be a positive number of seconds");
        }
        Vm v = find(s, vm);
        if (cmd.isEmpty()) {
            if (s.json()) {
                throw usage("an interactive shell has no JSON output; give a command");
            }
            return interactive(s, v);
        }
        GuestCommand gc = GuestCommand.of(String.join(" ", cmd)).withTimeout(Duration.ofSeconds(timeout));
        if (user != null) {
            gc = gc.withUser(user);
        }
        ExecResult r = v.exec(gc);
        if (s.json()) {
            s.emitJson(r.succeeded(), Json.obj().put("vm", vm).put("exitCode", r.exitCode())
                    .put("stdout", r.stdout()).put("stderr", r.stderr()).put("timedOut", r.timedOut())
                    .put("truncated", r.truncated()));
        } else {
            s.out().print(r.stdout());
            s.out().flush();
            s.err().print(r.stderr());
            if (r.timedOut()) {
                s.err().println("error: the command ran longer than " + timeout + " s and was killed");
            }
        }
        return r.timedOut() ? Main.FAILED : r.exitCode();
    }

    private int interactive(Session s, Vm v) throws Exception {
        SshEndpoint e = v.sshEndpoint();
        if (e.privateKey() == null) {
            throw new VboxmcpException(ErrorCode.VM_NOT_FOUND, "VM '" + v.name() + "' has no SSH key yet");
        }
        Path known = Files.createTempFile("vboxmcp-known-hosts-", "");
        try {
            List<String> args = new ArrayList<>(List.of("ssh", "-i", e.privateKey().toString(), "-p",
                    String.valueOf(e.port()), "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + known,
                    "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"));
            if (e.hostKeyPin() != null) {
                pinnedHostKey(e, known);
                args.addAll(List.of("-o", "StrictHostKeyChecking=yes"));
            } else {
                args.addAll(List.of("-o", "StrictHostKeyChecking=accept-new"));
            }
            args.add((user != null ? user : e.user()) + "@" + e.host());
            Process p = new ProcessBuilder(args).inheritIO().start();
            return p.waitFor();
        } finally {
            Files.deleteIfExists(known);
        }
    }

    /** Writes the guest host key whose fingerprint matches the pin into {@code known}, or fails. */
    private static void pinnedHostKey(SshEndpoint e, Path known) throws Exception {
        Process scan = new ProcessBuilder("ssh-keyscan", "-p", String.valueOf(e.port()), e.host())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String lines = new String(scan.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        scan.waitFor();
        StringBuilder keep = new StringBuilder();
        for (String line : lines.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Path one = Files.createTempFile("vboxmcp-hostkey-", "");
            try {
                Files.writeString(one, line + "\n");
                Process fp = new ProcessBuilder("ssh-keygen", "-l", "-f", one.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String out = new String(fp.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                fp.waitFor();
                if (out.contains(e.hostKeyPin())) {
                    keep.append(line).append('\n');
                }
            } finally {
                Files.deleteIfExists(one);
            }
        }
        if (keep.length() == 0) {
            throw new VboxmcpException(ErrorCode.SIGNATURE_INVALID, "the guest at " + e.host() + ":" + e.port()
                    + " does not present the pinned host key " + e.hostKeyPin() + "; refusing to connect");
        }
        try {
            Files.writeString(known, keep.toString());
        } catch (IOException ex) {
            throw new VboxmcpException(ErrorCode.IO, "cannot write " + known, ex);
        }
    }
}
