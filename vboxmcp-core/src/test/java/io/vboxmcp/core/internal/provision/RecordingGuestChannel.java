package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ExecResult;
import io.vboxmcp.GuestCommand;
import io.vboxmcp.spi.GuestChannel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Records commands and uploads (also as one ordered log); answers each command with a scripted result. */
final class RecordingGuestChannel implements GuestChannel {
    final List<GuestCommand> commands = new ArrayList<>();
    final Map<String, byte[]> uploads = new LinkedHashMap<>();
    /** {@code exec <command>} and {@code upload <path>} in the order they happened. */
    final List<String> log = new ArrayList<>();
    private final Function<GuestCommand, ExecResult> answer;

    RecordingGuestChannel(Function<GuestCommand, ExecResult> answer) {
        this.answer = answer;
    }

    @Override
    public ExecResult exec(GuestCommand command) {
        commands.add(command);
        log.add("exec " + command.command());
        return answer.apply(command);
    }

    @Override
    public void upload(byte[] content, String guestPath, int mode) {
        uploads.put(guestPath, content);
        log.add("upload " + guestPath);
    }

    @Override
    public void close() {
    }
}
