package io.vboxmcp.git.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A refusal in the Git layer, seen through the manager, leaves exactly one deny record naming the source. */
class GitDenyRecordsTest {
    @TempDir
    Path tmp;
    GitCli git;
    Path repo;
    String trusted;

    @BeforeEach
    void repo() throws Exception {
        git = new GitCli(tmp.resolve("author"));
        trusted = git.gpgKey("Publisher <publisher@example.org>");
        repo = git.init(tmp.resolve("repos/templates"));
    }

    @AfterEach
    void stop() throws Exception {
        git.close();
    }

    private VmManager manager() throws VboxmcpException {
        return VmManager.builder().home(tmp.resolve("home"))
                .addSource(new SourceConfig("team", repo.resolve(".git").toUri(), 0, Map.of()))
                .build();
    }

    private List<JsonNode> denies() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(tmp.resolve("home/audit.log"))) {
            return out;
        }
        for (String line : Files.readAllLines(tmp.resolve("home/audit.log"), StandardCharsets.UTF_8)) {
            JsonNode n = json.readTree(line);
            if ("deny".equals(n.path("outcome").asText())) {
                out.add(n);
            }
        }
        return out;
    }

    private static CreateVmRequest request() throws VboxmcpException {
        return CreateVmRequest.builder("vm1", TemplateRef.parse("python-dev@1.0.0")).build();
    }

    @Test
    void plan_tagSignedByUnpinnedKey_writesOneDenyRecordNamingTheSource_GIT02() throws Exception {
        String stranger = git.gpgKey("Stranger <stranger@example.org>");
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", stranger);
        try (VmManager m = manager()) {
            m.trust().add("team", Files.write(tmp.resolve("trusted.asc"), git.gpgPublicKey(trusted)));
            // signed, but by nobody pinned for this source: UNTRUSTED (SIGNATURE_INVALID if a bad signature is present)
            assertThatThrownBy(() -> m.plan(request())).isInstanceOfSatisfying(VboxmcpException.class,
                    e -> assertThat(e.code()).isIn(ErrorCode.UNTRUSTED, ErrorCode.SIGNATURE_INVALID));
            List<JsonNode> d = denies();
            assertThat(d).hasSize(1);
            JsonNode r = d.get(0);
            assertThat(r.path("action").asText()).isEqualTo("vm.plan");
            assertThat(r.path("via").asText()).isIn("source.fetch", "template.verify");
            assertThat(r.path("source").asText()).isEqualTo("team");
            assertThat(r.path("subject").asText()).isEqualTo("python-dev@1.0.0");
            assertThat(r.path("code").asText()).isIn("UNTRUSTED", "SIGNATURE_INVALID");
            assertThat(r.path("reason").asText()).contains("python-dev");
            assertThat(m.audit().verify()).isEmpty();
        }
    }

    @Test
    void create_movedTag_writesOneDenyRecord_GIT07() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "good");
        git.commitAll(repo, "good");
        git.gpgTag(repo, "python-dev/v1.0.0", trusted);
        try (VmManager m = manager()) {
            m.trust().add("team", Files.write(tmp.resolve("trusted.asc"), git.gpgPublicKey(trusted)));
            // the first use records the tag's commit as last seen (no driver needed to get that far)
            try {
                m.plan(request());
            } catch (VboxmcpException e) {
                assertThat(e.code()).as(e.getMessage()).isNotIn(ErrorCode.SIGNATURE_INVALID, ErrorCode.CONFLICT);
            }
        }
        assertThat(denies()).isEmpty();
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "replaced");
        git.commitAll(repo, "replaced");
        git.run(repo, "git", "-c", "user.signingkey=" + trusted, "tag", "-f", "-s", "-m", "moved", "python-dev/v1.0.0");
        try (VmManager m = manager()) {
            assertThatThrownBy(() -> m.createFromTemplate(request())).isInstanceOfSatisfying(VboxmcpException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
            List<JsonNode> d = denies();
            assertThat(d).hasSize(1);
            assertThat(d.get(0).path("action").asText()).isEqualTo("vm.create");
            assertThat(d.get(0).path("source").asText()).isEqualTo("team");
            assertThat(d.get(0).path("code").asText()).isEqualTo("CONFLICT");
            assertThat(d.get(0).path("step").asText()).isEqualTo("fetch");
        }
    }
}
