package io.vboxmcp.core.internal.manager;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An SSH server on 127.0.0.1 standing in for a guest in pipeline tests: it accepts any key, records each command
 * and answers exit 0 (a tpkg guest without python3), except commands containing {@code FAIL_ME} (exit 9 with output). Nothing is executed.
 */
final class StubGuestSsh implements AutoCloseable {
    final List<String> commands = Collections.synchronizedList(new ArrayList<>());
    private final SshServer server;

    StubGuestSsh(Path hostKey) throws IOException {
        server = SshServer.setUpDefaultServer();
        server.setHost("127.0.0.1");
        server.setPort(0);
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(hostKey);
        keys.setAlgorithm("EC");
        server.setKeyPairProvider(keys);
        server.setPublickeyAuthenticator((u, k, s) -> true);
        server.setCommandFactory((channel, command) -> new StubCommand(command));
        server.start();
    }

    int port() {
        return server.getPort();
    }

    private final class StubCommand implements Command {
        private final String command;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;

        StubCommand(String command) {
            this.command = command;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            commands.add(command);
            Thread t = new Thread(() -> {
                try {
                    if (command.startsWith("mkdir -p ") && command.contains(" && cat > ")) {  // an upload
                        in.readAllBytes();
                    }
                    int code = 0;
                    if (command.contains("for m in")) {
                        out.write("tpkg\n".getBytes(StandardCharsets.UTF_8));
                    }
                    if (command.contains("EXTERNALLY-MANAGED")) {
                        out.write("NONE\n".getBytes(StandardCharsets.UTF_8));  // a guest without python3
                    }
                    if (command.contains("FAIL_ME")) {
                        out.write("about to fail\n".getBytes(StandardCharsets.UTF_8));
                        err.write("it failed\n".getBytes(StandardCharsets.UTF_8));
                        code = 9;
                    }
                    out.flush();
                    err.flush();
                    exit.onExit(code);
                } catch (IOException e) {
                    exit.onExit(255, e.getMessage());
                }
            }, "stub-guest");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void destroy(ChannelSession channel) {
        }
    }

    @Override
    public void close() throws IOException {
        server.stop(true);
    }
}
