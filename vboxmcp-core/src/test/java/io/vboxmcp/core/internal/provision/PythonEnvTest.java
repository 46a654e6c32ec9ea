package io.vboxmcp.core.internal.provision;

import io.vboxmcp.PackageMirrors;
import io.vboxmcp.testkit.http.PipIndexServer;
import io.vboxmcp.testkit.http.Wheels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The pip environment script run for real against this machine's Debian 12 python3 (externally managed, like the
 * guest's), inside a private mount namespace whose /opt, /usr/local and /etc/profile.d are empty tmpfs: nothing of the
 * host changes; ensurepip is hidden as on a guest without python3-venv. Skipped where that is not possible (not
 * root, no unshare, no externally managed /usr/bin/python3).
 */
class PythonEnvTest {
    @TempDir
    Path tmp;

    @Test
    void ensure_makesAVenvWherePipInstallsAsTheSeedScriptDoesAndEveryPython3Imports() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for a mount namespace");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "needs unshare");
        assumeTrue(Files.exists(Path.of("/usr/lib/python3.11/EXTERNALLY-MANAGED"))
                || Files.exists(Path.of("/usr/lib/python3.12/EXTERNALLY-MANAGED")), "needs an externally managed python3");
        Wheels.Wheel hello = Wheels.make("hello-vboxmcp", "1.0.0", "GREETING = 'hello from the mirror'\n");
        try (PipIndexServer index = PipIndexServer.serve(tmp.resolve("index"), List.of(hello))) {
            PackageMirrors m = PackageMirrors.builder().pipIndex(index.indexUrl()).pipTrustedHost(true).build();
            Path pipConf = tmp.resolve("pip.conf");
            Files.writeString(pipConf, MirrorSetup.pipConf(m));
            Path work = Files.createDirectories(tmp.resolve("work"));
            Files.writeString(work.resolve("requirements.txt"), "hello-vboxmcp==1.0.0\n");
            Files.writeString(tmp.resolve("ensure.sh"), PythonEnv.ENSURE);
            // the guest's PATH: this machine's own python3 (pyenv) must not stand in for the distribution's
            String script = "set -e; export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; mount -t tmpfs none /opt; mount -t tmpfs none /usr/local; "
                    + "mount -t tmpfs none /etc/profile.d; "
                    // as if python3-venv were not installed (Debian splits ensurepip out): --without-pip needs none
                    + "for d in /usr/lib/python3.*/ensurepip; do mount -t tmpfs none $d; done; "
                    + "if python3 -m ensurepip --version >/dev/null 2>&1; then echo ensurepip still there; exit 9; fi; "
                    + "export PIP_CONFIG_FILE=" + pipConf + "; "
                    + "start=$(date +%s%N); sh " + tmp.resolve("ensure.sh") + "; echo \"took $(( ($(date +%s%N) - start) / 1000000 )) ms\"; "
                    + "sh " + tmp.resolve("ensure.sh") + "; "
                    // the seed's script, as the provisioner runs it: PATH with the venv first
                    + "cd " + work + " && PATH=" + PythonEnv.PATH + " VIRTUAL_ENV=" + PythonEnv.VENV
                    + " sh -c 'pip install --disable-pip-version-check -r requirements.txt' >/dev/null; "
                    + "echo plain=$(/usr/bin/python3 -c 'import hello_vboxmcp; print(hello_vboxmcp.GREETING)'); "
                    + "echo login=$(env -i PIP_CONFIG_FILE=/dev/null sh -lc 'command -v python3; python3 -c \"import hello_vboxmcp\" && echo ok' | tr '\\n' ' ')";
            ProcessBuilder pb = new ProcessBuilder("unshare", "-m", "--propagation", "private", "sh", "-c", script)
                    .redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("PIP_"));  // this machine's pip settings play no part
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).as(out).contains("VENV\ntook ").contains("VENV\n").contains("plain=hello from the mirror\n")
                    .contains("login=/opt/vboxmcp/venv/bin/python3 ok");
            assertThat(index.requests()).contains("GET /files/" + hello.fileName());
            System.out.println("venv creation (host, not TCG): " + out.lines().filter(l -> l.startsWith("took"))
                    .findFirst().orElse("?"));
        }
        assertThat(Path.of(PythonEnv.VENV)).as("the host's /opt is untouched").doesNotExist();
    }
}
