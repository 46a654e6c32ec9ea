package io.vboxmcp.cli.internal;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The progress display on a real terminal (a tmux pane) against the plain output of a pipe. The command is
 * {@code install URL}: a download with a bar, then an install step. The server stops half way until the test has
 * seen the bar in the pane, so the live frame is captured deterministically.
 */
class CliTerminalTest {
    @TempDir
    Path tmp;
    HttpServer server;
    final String socket = "vboxmcp-test-" + UUID.randomUUID();
    final CountDownLatch barSeen = new CountDownLatch(1);
    String url;
    int size;

    @BeforeEach
    void servePackageInTwoHalves() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tmux")), "tmux is installed by scripts/install-deps.sh");
        Path t = Fixtures.templateCopy(tmp, "web-demo");
        // a package from a URL must be signed by a key pinned in the installing home
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "author", "");
        assertThat(new Launcher(tmp.resolve("author")).run("sign", t.toString(), "--key", key.toString()).exit()).isZero();
        assertThat(new Launcher(tmp.resolve("home")).run("trust", "add", key + ".pub").exit()).isZero();
        Launcher.Result pack = new Launcher(tmp.resolve("author")).in(tmp).run("pack", t.toString(), "-o", "p.tar.gz");
        assertThat(pack.exit()).as(pack.show()).isZero();
        byte[] body = Files.readAllBytes(tmp.resolve("p.tar.gz"));
        size = body.length;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/pkg/", ex -> {
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body, 0, body.length / 2);
                o.flush();
                if (ex.getRequestURI().getPath().contains("slow")) {
                    barSeen.await(60, TimeUnit.SECONDS);
                }
                o.write(body, body.length / 2, body.length - body.length / 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort() + "/pkg/";
    }

    @AfterEach
    void cleanUp() throws Exception {
        barSeen.countDown();
        if (server != null) {
            server.stop(0);
        }
        new ProcessBuilder("tmux", "-L", socket, "kill-server").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
    }

    private String tmux(String... args) throws Exception {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "tmux";
        cmd[1] = "-L";
        cmd[2] = socket;
        System.arraycopy(args, 0, cmd, 3, args.length);
        return Fixtures.run(tmp, cmd);
    }

    /** Polls the pane (with escape sequences) until it contains {@code marker}; fails after 60 s. */
    private String waitForPane(String marker) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String pane = "";
        while (System.nanoTime() < deadline) {
            pane = tmux("capture-pane", "-p", "-e", "-t", "cli");
            if (pane.contains(marker)) {
                return pane;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("pane never showed '" + marker + "':\n" + pane);
    }

    private void startInPane(String env, String url) throws Exception {
        String command = "cd " + Launcher.ROOT + " && env -u NO_COLOR LC_ALL=C VBOXMCP_CLI_CLASSES=1 " + env + " ./vboxmcp --home "
                + tmp.resolve("home") + " install " + url + "; echo EXIT=$?; sleep 600";
        tmux("new-session", "-d", "-s", "cli", "-x", "150", "-y", "40", command);
    }

    @Test
    void terminal_showsALiveBar_thenTheStepListWithTimings_inColour() throws Exception {
        startInPane("", url + "slow/web-demo-1.0.0.tar.gz");
        String live = waitForPane(ProgressDisplay.bytes(size / 2) + "/" + ProgressDisplay.bytes(size));
        barSeen.countDown();
        assertThat(live.replaceAll("\033\\[[0-9;]*m", "")).as("a bar, half full, redrawn in place")
                .containsPattern("download\\s+\\[#{11,12}-{12,13}\\]\\s+(49|50)%");

        String done = waitForPane("EXIT=");
        String plain = done.replaceAll("\033\\[[0-9;]*m", "");
        assertThat(plain).contains("EXIT=0").contains("installed web-demo@1.0.0");
        assertThat(plain).containsPattern("ok download\\s+\\d+\\.\\ds").containsPattern("ok install\\s+\\d+\\.\\ds");
        assertThat(plain).as("the live line is gone, no plain progress lines").doesNotContain("50%")
                .doesNotContain("download: ");
        assertThat(done).as("the check mark is green").contains("\033[32mok");
    }

    @Test
    void terminal_honoursNoColor() throws Exception {
        startInPane("NO_COLOR=1", url + "web-demo-1.0.0.tar.gz");
        String done = waitForPane("EXIT=");
        assertThat(done).contains("EXIT=0").containsPattern("ok download\\s+\\d+\\.\\ds");
        assertThat(done).as("no colour escape sequences").doesNotContain("\033[3").doesNotContain("\033[2m");
    }

    @Test
    void pipe_getsPlainLinesWithoutControlCharacters() {
        Launcher.Result r = new Launcher(tmp.resolve("home")).run("install", url + "web-demo-1.0.0.tar.gz");
        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(r.err()).contains("download: 0%", "download: 100%", "download: done in", "install: done in")
                .doesNotContain("\r").doesNotContain("\033").doesNotContain("[#");
    }
}
