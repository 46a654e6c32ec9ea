package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The local repository and template sources through the real launcher. */
class CliRepositoryTest {
    @TempDir
    Path tmp;
    HttpServer server;

    Path home() {
        return tmp.resolve("home");
    }

    Launcher cli() {
        return new Launcher(home());
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
        }
    }

    /** Serves {@code body} at /pkg/NAME with HTTP status {@code status}; returns the URL. */
    String serve(String name, int status, byte[] body) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/pkg/", ex -> {
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/pkg/" + name;
    }

    @Test
    void install_list_versions_search_remove() throws Exception {
        Path v1 = Fixtures.template(tmp, "demo", "1.0.0", "first demo");
        Path v2 = Fixtures.template(tmp, "demo", "1.1.0", "second demo");
        assertThat(cli().run("install", v1.toString()).exit()).isZero();
        Launcher.Result i2 = cli().run("install", "--json", v2.toString());
        assertThat(i2.exit()).as(i2.show()).isZero();
        assertThat(i2.json().path("version").asText()).isEqualTo("1.1.0");
        assertThat(i2.json().path("manifestDigest").asText()).startsWith("sha256:");

        Launcher.Result list = cli().run("list", "--json");
        assertThat(list.json().path("templates")).hasSize(2);
        assertThat(cli().run("list").out()).contains("demo", "1.0.0", "1.1.0", "second demo");

        Launcher.Result versions = cli().run("versions", "demo");
        assertThat(versions.exit()).isZero();
        assertThat(Fixtures.lines(versions.out())).containsExactly("1.0.0", "1.1.0");

        Launcher.Result search = cli().run("search", "--json", "second");
        assertThat(search.exit()).as(search.show()).isZero();
        assertThat(search.json().path("templates")).anyMatch(t -> t.path("version").asText().equals("1.1.0"));

        assertThat(cli().run("remove", "demo@1.0.0").exit()).isZero();
        assertThat(Fixtures.lines(cli().run("versions", "demo").out())).containsExactly("1.1.0");
        assertThat(cli().run("remove", "demo").exit()).isZero();
        Launcher.Result none = cli().run("versions", "demo");
        assertThat(none.exit()).as(none.show()).isEqualTo(1);
        assertThat(none.err()).contains("no version of 'demo' is installed");
    }

    @Test
    void install_invalidTemplate_failsAndLeavesTheRepositoryAsItWas() throws Exception {
        assertThat(cli().run("install", Fixtures.template(tmp, "demo", "1.0.0", "ok").toString()).exit()).isZero();
        Map<String, String> before = Fixtures.snapshot(home().resolve("templates"));

        Path bad = tmp.resolve("bad");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("template-definition.yaml"), "name: \"demo\"\nversion: \"2.0.0\"\nmin_ram: lots\n");
        Launcher.Result r = cli().run("install", bad.toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.err()).contains("template-definition.yaml:3:").contains("/min_ram").doesNotContain("\tat ");
        assertThat(Fixtures.snapshot(home().resolve("templates"))).isEqualTo(before);

        // same version, different content: versions are immutable
        Path changed = Fixtures.template(tmp.resolve("other"), "demo", "1.0.0", "different content");
        Launcher.Result c = cli().run("install", "--json", changed.toString());
        assertThat(c.exit()).as(c.show()).isEqualTo(1);
        assertThat(c.json().path("error").path("code").asText()).isEqualTo("CONFLICT");
        assertThat(Fixtures.snapshot(home().resolve("templates"))).isEqualTo(before);
    }

    @Test
    void install_missingPath_isAUsageError() {
        Launcher.Result r = cli().run("install", tmp.resolve("nope").toString());
        assertThat(r.exit()).as(r.show()).isEqualTo(2);
        assertThat(home().resolve("templates")).doesNotExist();
    }

    @Test
    void install_fromUrl_downloadsThenInstalls_withPlainProgressWhenNotATerminal() throws Exception {
        Path t = Fixtures.templateCopy(tmp, "web-demo");
        // remote means signed: the package carries a signature by a key pinned in the home
        Path key = Fixtures.sshKey(tmp.resolve("keys"), "author", "");
        assertThat(cli().run("sign", t.toString(), "--key", key.toString()).exit()).isZero();
        assertThat(cli().run("trust", "add", key + ".pub").exit()).isZero();
        assertThat(cli().in(tmp).run("pack", t.toString(), "-o", "p.tar.gz").exit()).isZero();
        String url = serve("web-demo-1.0.0.tar.gz", 200, Files.readAllBytes(tmp.resolve("p.tar.gz")));

        Launcher.Result r = cli().run("install", url);
        assertThat(r.exit()).as(r.show()).isZero();
        assertThat(r.out()).contains("installed web-demo@1.0.0");
        assertThat(r.err()).contains("download: 100%", "download: done in", "install: done in")
                .doesNotContain("\r").doesNotContain("\033");
        assertThat(Fixtures.lines(cli().run("versions", "web-demo").out())).containsExactly("1.0.0");
    }

    @Test
    void install_fromUrl_failures_leaveTheRepositoryAsItWas() throws Exception {
        assertThat(cli().run("install", Fixtures.template(tmp, "demo", "1.0.0", "ok").toString()).exit()).isZero();
        Map<String, String> before = Fixtures.snapshot(home().resolve("templates"));

        String missing = serve("gone.tar.gz", 404, "not here".getBytes(StandardCharsets.UTF_8));
        Launcher.Result r404 = cli().run("install", "--json", missing);
        assertThat(r404.exit()).as(r404.show()).isEqualTo(1);
        assertThat(r404.json().path("error").path("code").asText()).isEqualTo("SOURCE_UNAVAILABLE");
        assertThat(r404.json().path("error").path("message").asText()).contains("HTTP 404");
        server.stop(0);

        byte[] garbage = new byte[4096];
        new java.util.Random(7).nextBytes(garbage);
        String corrupt = serve("corrupt.tar.gz", 200, garbage);
        Launcher.Result bad = cli().run("install", corrupt);
        assertThat(bad.exit()).as(bad.show()).isEqualTo(1);
        assertThat(bad.err()).startsWith("download: ").contains("error: ").doesNotContain("\tat ");
        assertThat(Fixtures.snapshot(home().resolve("templates"))).isEqualTo(before);
    }

    @Test
    void remove_notInstalled_fails_badVersion_isAUsageError() {
        Launcher.Result r = cli().run("remove", "ghost");
        assertThat(r.exit()).as(r.show()).isEqualTo(1);
        assertThat(r.err()).contains("ghost is not installed");
        assertThat(cli().run("remove", "ghost@1.x").exit()).isEqualTo(2);
    }

    @Test
    void search_findsTemplatesOfAGitSource() throws Exception {
        Path repo = tmp.resolve("shelf");
        Fixtures.copyTree(Fixtures.template(tmp, "shelved", "2.0.0", "from a git source"), repo);
        Fixtures.run(repo, "git", "init", "-q", ".");
        Fixtures.run(repo, "git", "add", ".");
        Fixtures.run(repo, "git", "-c", "user.name=t", "-c", "user.email=t@vboxmcp.test", "commit", "-q", "-m", "t");
        Fixtures.run(repo, "git", "-c", "user.name=t", "-c", "user.email=t@vboxmcp.test", "tag", "-a", "v2.0.0",
                "-m", "2.0.0");
        assertThat(cli().run("source", "add", "shelf", repo.resolve(".git").toString()).exit()).isZero();

        Launcher.Result r = cli().run("search", "--json", "git");
        assertThat(r.exit()).as(r.show()).isZero();
        JsonNode found = r.json().path("templates");
        assertThat(found).anyMatch(n -> n.path("name").asText().equals("shelved")
                && n.path("version").asText().equals("2.0.0") && n.path("source").asText().equals("shelf"));
        assertThat(cli().run("search", "git").out()).contains("shelved", "2.0.0", "shelf");
    }

    @Test
    void source_addListRemove_remoteSourcesRequireSignatures() throws Exception {
        Path folder = tmp.resolve("folder");
        Files.createDirectories(folder);
        Launcher.Result a = cli().run("source", "add", "team", "https://git.example.org/templates.git", "--priority", "5",
                "--threshold", "2");
        assertThat(a.exit()).as(a.show()).isZero();
        assertThat(a.out()).contains("vboxmcp trust add --source team");
        assertThat(cli().run("source", "add", "lab", "https://lab.example.org/t.git", "--allow-unsigned").exit()).isZero();
        assertThat(cli().run("source", "add", "disk", folder.toString(), "--priority", "50").exit()).isZero();

        Launcher.Result list = cli().run("source", "list", "--json");
        assertThat(list.exit()).isZero();
        List<String> names = new ArrayList<>();
        list.json().path("sources").forEach(n -> names.add(n.path("name").asText()));
        assertThat(names).containsExactly("local", "team", "disk", "lab");
        JsonNode team = list.json().path("sources").get(1);
        assertThat(team.path("signatures").asText()).isEqualTo("required");
        assertThat(team.path("options").path("threshold").asText()).isEqualTo("2");
        assertThat(list.json().path("sources").get(3).path("signatures").asText()).isEqualTo("optional");
        assertThat(list.json().path("sources").get(2).path("uri").asText()).isEqualTo(folder.toUri().toString());

        Map<String, String> before = Fixtures.snapshot(home());
        assertThat(cli().run("source", "add", "Bad Name", folder.toString()).exit()).isEqualTo(2);
        assertThat(cli().run("source", "add", "x", tmp.resolve("missing").toString()).exit()).isEqualTo(2);
        assertThat(cli().run("source", "remove", "nobody").exit()).isEqualTo(1);
        assertThat(cli().run("source", "add", "y", folder.toString(), "--threshold", "0").exit()).isEqualTo(2);
        assertThat(Fixtures.snapshot(home())).as("bad input writes nothing").isEqualTo(before);

        assertThat(cli().run("source", "remove", "team").exit()).isZero();
        List<String> after = new ArrayList<>();
        cli().run("source", "list", "--json").json().path("sources").forEach(n -> after.add(n.path("name").asText()));
        assertThat(after).containsExactly("local", "disk", "lab");
    }
}
