package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.virtualbox.internal.cli.CommandResult;
import io.vboxmcp.virtualbox.internal.cli.CommandRunner;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An in-JVM command runner: records every argv (without the executable) and the environment it was given, and
 * answers with whatever the test's responder returns for it.
 */
public final class RecordingCommandRunner implements CommandRunner {
    private final Function<List<String>, CommandResult> responder;
    private final List<List<String>> commands = new CopyOnWriteArrayList<>();
    private final List<Map<String, String>> envs = new CopyOnWriteArrayList<>();

    public RecordingCommandRunner(Function<List<String>, CommandResult> responder) {
        this.responder = responder;
    }

    @Override
    public CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) throws VboxmcpException {
        List<String> args = List.copyOf(argv.subList(1, argv.size()));
        commands.add(args);
        envs.add(Map.copyOf(env));
        CommandResult r = responder.apply(args);
        return new CommandResult(argv, r.exitCode(), r.stdout(), r.stderr());
    }

    /** @return the recorded argument vectors, executable left out */
    public List<List<String>> commands() {
        return List.copyOf(commands);
    }

    public List<Map<String, String>> envs() {
        return List.copyOf(envs);
    }

    public void clear() {
        commands.clear();
    }

    public static CommandResult ok(String stdout) {
        return new CommandResult(List.of("VBoxManage"), 0, stdout, "");
    }

    public static CommandResult fail(int exit, String stdout, String stderr) {
        return new CommandResult(List.of("VBoxManage"), exit, stdout, stderr);
    }

    /** The 3-line error block VBoxManage prints, exit 1. */
    public static CommandResult errorBlock(String message, String code, String hex) {
        return fail(1, "", "VBoxManage: error: " + message + "\nVBoxManage: error: Details: code " + code + " (" + hex
                + "), component MachineWrap, interface IMachine, callee nsISupports\nVBoxManage: error: Context: "
                + "\"test\" at line 1 of file VBoxManageTest.cpp\n");
    }
}
