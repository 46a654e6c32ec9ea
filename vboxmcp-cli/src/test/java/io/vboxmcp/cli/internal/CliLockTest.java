package io.vboxmcp.cli.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code lock}, {@code update}, {@code plan --frozen} and the plan's provenance through the real launcher. */
class CliLockTest {
    @TempDir
    Path tmp;

    private static Path publish(Path root, String name, String version, String body) throws Exception {
        Path dir = Files.createDirectories(root.resolve(name).resolve(version));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: " + name + "\nversion: \"" + version + "\"\n"
                + body);
        return dir;
    }

    @Test
    void lock_plan_frozen_update() throws Exception {
        Launcher cli = new Launcher(tmp.resolve("home"));
        Path shelf = Files.createDirectories(tmp.resolve("shelf"));
        publish(shelf, "base-os", "1.2.3", "base_image: \"test-image:1\"\nmin_ram: 512\nscripts: [{name: base, command: "
                + "echo base}]\n");
        publish(shelf, "tools", "1.0.0", "kind: feature\npackages: {system: [jq]}\n");
        Path app = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(app.resolve("template-definition.yaml"), "name: app\nversion: \"1.0.0\"\n"
                + "extends: [\"base-os@^1.2\"]\nrequires: [tools]\nscripts: [{name: app, command: echo app}]\n");
        byte[] disk = "disk".getBytes(StandardCharsets.UTF_8);
        Files.write(tmp.resolve("disk.qcow2"), disk);
        Path catalog = Files.writeString(tmp.resolve("catalog.json"), "{\"catalogVersion\":1,\"images\":[{\"reference\":"
                + "\"test-image:1\",\"disk\":{\"url\":\"disk.qcow2\",\"format\":\"raw\",\"sha256\":\"" + HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(disk)) + "\",\"size\":4}}]}");

        Launcher.Result add = cli.run("source", "add", "shelf", shelf.toUri().toString());
        assertThat(add.exit()).as(add.show()).isZero();
        Launcher.Result lock = cli.run("lock", app.toString(), "--image-catalog", catalog.toString());
        assertThat(lock.exit()).as(lock.show()).isZero();
        assertThat(lock.out()).contains("wrote " + app.resolve("vboxmcp.lock"));
        byte[] written = Files.readAllBytes(app.resolve("vboxmcp.lock"));
        assertThat(new String(written, StandardCharsets.UTF_8)).contains("\"name\": \"base-os\"", "\"name\": \"tools\"",
                "\"reference\": \"test-image:1\"");
        Launcher.Result again = cli.run("lock", app.toString(), "--image-catalog", catalog.toString());
        assertThat(again.out()).contains("(unchanged)");
        assertThat(Files.readAllBytes(app.resolve("vboxmcp.lock"))).isEqualTo(written);

        // the lock travels inside the template: install it, then plan frozen
        assertThat(cli.run("install", app.toString()).exit()).isZero();
        Launcher.Result plan = cli.run("plan", "vm1", "-t", "app", "--frozen", "--json");
        assertThat(plan.exit()).as(plan.show()).isZero();
        assertThat(plan.json().at("/plan/provenance/min_ram: 512").asText()).isEqualTo("base-os@1.2.3");
        assertThat(plan.json().at("/plan/components/1/name").asText()).isEqualTo("tools");
        assertThat(plan.json().at("/plan/describe").asText()).contains("script: base (from base-os@1.2.3)");

        publish(shelf, "base-os", "1.3.0", "base_image: \"test-image:1\"\n");
        Launcher.Result outdated = cli.run("plan", "vm1", "-t", "app", "--frozen");
        assertThat(outdated.exit()).as(outdated.show()).isEqualTo(1);
        assertThat(outdated.err()).contains("the lockfile is outdated",
                "base-os: resolves to newer version 1.3.0, the lock has 1.2.3");
        Launcher.Result update = cli.run("update", app.toString(), "--image-catalog", catalog.toString());
        assertThat(update.exit()).as(update.show()).isZero();
        assertThat(update.out()).contains("base-os: resolves to newer version 1.3.0, the lock has 1.2.3");
        Launcher.Result frozenNew = cli.run("plan", "vm1", "-t", "app", "--frozen", "--lock",
                app.resolve("vboxmcp.lock").toString());
        assertThat(frozenNew.exit()).as(frozenNew.show()).isZero();
        assertThat(frozenNew.out()).contains("composed:  extends base-os@1.3.0");

    }
}
