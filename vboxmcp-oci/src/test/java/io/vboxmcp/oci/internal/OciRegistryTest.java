package io.vboxmcp.oci.internal;

import io.vboxmcp.testkit.http.DistributionRegistry;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.template.InstalledTemplate;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.trust.PublishResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Publish and install against the real distribution registry on 127.0.0.1 (no auth). One registry per class. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OciRegistryTest {
    DistributionRegistry registry;
    Path work;
    Path key;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        assumeTrue(DistributionRegistry.available(), "docker-registry is not installed (scripts/install-deps.sh)");
        registry = DistributionRegistry.start(null, null);
        work = dir;
        key = Templates.sshKey(work, "author");
    }

    @AfterAll
    void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    VmManager publisherManager(Path home) throws VboxmcpException {
        return VmManager.builder().home(home).build();
    }

    VmManager consumer(Path home, String ns) throws VboxmcpException {
        VmManager m = VmManager.builder().home(home).addSource("team", registry.oci(ns)).build();
        m.trust().add("team", key.resolveSibling(key.getFileName() + ".pub"));
        return m;
    }

    OciClient client() {
        return new OciClient(new RegistryHttp(new Origin("http", "127.0.0.1", registry.port()), null,
                Duration.ofSeconds(10), null), 4 << 20);
    }

    @Test
    void publish_pushesArtifactWithMovingTagsAndSignatureReferrer(@TempDir Path tmp) throws Exception {
        try (VmManager m = publisherManager(tmp.resolve("home"))) {
            Path pkg = Templates.signedPackage(m, Templates.webDemo(tmp, "tags-demo", "1.2.3", "first"), "tags-demo",
                    "1.2.3", key, tmp.resolve("p.tar.gz"));
            PublishResult r = m.publisher().publish(pkg, registry.oci("pub"));
            assertThat(r.tags()).containsExactly("1.2.3", "1.2", "1", "latest");
            assertThat(r.signatures()).isEqualTo(1);
            assertThat(r.unchanged()).isFalse();
            OciClient c = client();
            assertThat(c.tags("pub/tags-demo")).contains("1.2.3", "1.2", "1", "latest");
            OciClient.Document doc = c.manifest("pub/tags-demo", "latest").orElseThrow();
            assertThat(doc.digest()).isEqualTo(r.artifactDigest());
            assertThat(doc.json().path("artifactType").asText()).isEqualTo(Artifacts.TEMPLATE_TYPE);
            assertThat(doc.json().path("annotations").path(Artifacts.A_MANIFEST_DIGEST).asText()).isEqualTo(r.manifestDigest());
            // distribution 2.8 has no referrers API: the signature sits in the fallback tag sha256-<hex>
            assertThat(c.manifest("pub/tags-demo", OciClient.fallbackTag(r.artifactDigest()))).isPresent();
            assertThat(c.referrers("pub/tags-demo", r.artifactDigest())).hasSize(1);

            // an older patch of the same line gets its own tag only: 1.2, 1 and latest stay on 1.2.3
            Path older = Templates.signedPackage(m, Templates.webDemo(tmp, "tags-demo", "1.2.1", "older"), "tags-demo",
                    "1.2.1", key, tmp.resolve("o.tar.gz"));
            assertThat(m.publisher().publish(older, registry.oci("pub")).tags()).containsExactly("1.2.1");
            assertThat(c.manifest("pub/tags-demo", "latest").orElseThrow().digest()).isEqualTo(r.artifactDigest());
        }
    }

    @Test
    void publish_sameContentAgain_isUnchanged_otherContent_isRefused_REG02(@TempDir Path tmp) throws Exception {
        try (VmManager m = publisherManager(tmp.resolve("home"))) {
            Path pkg = Templates.signedPackage(m, Templates.webDemo(tmp, "immutable", "1.0.0", "a"), "immutable", "1.0.0",
                    key, tmp.resolve("a.tar.gz"));
            PublishResult first = m.publisher().publish(pkg, registry.oci("pub"));
            assertThat(m.publisher().publish(pkg, registry.oci("pub")).unchanged()).isTrue();
            Path other = Templates.signedPackage(m, Templates.webDemo(tmp, "immutable", "1.0.0", "b"), "immutable",
                    "1.0.0", key, tmp.resolve("b.tar.gz"));
            assertThatThrownBy(() -> m.publisher().publish(other, registry.oci("pub")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
            assertThat(client().manifest("pub/immutable", "1.0.0").orElseThrow().digest()).isEqualTo(first.artifactDigest());
        }
    }

    @Test
    void install_byNameRangeAndDigest_verifiesAgainstPinnedKeys(@TempDir Path tmp) throws Exception {
        PublishResult v1;
        try (VmManager m = publisherManager(tmp.resolve("pub-home"))) {
            v1 = m.publisher().publish(Templates.signedPackage(m, Templates.webDemo(tmp, "shared", "1.0.0", "one"), "shared",
                    "1.0.0", key, tmp.resolve("1.tar.gz")), registry.oci("inst"));
            m.publisher().publish(Templates.signedPackage(m, Templates.webDemo(tmp, "shared", "1.1.0", "two"), "shared",
                    "1.1.0", key, tmp.resolve("2.tar.gz")), registry.oci("inst"));
            m.publisher().publish(Templates.signedPackage(m, Templates.webDemo(tmp, "shared", "2.0.0", "three"), "shared",
                    "2.0.0", key, tmp.resolve("3.tar.gz")), registry.oci("inst"));
        }
        try (VmManager c = consumer(tmp.resolve("home"), "inst")) {
            assertThat(c.resolve(TemplateRef.of("shared", "^1")).version()).isEqualTo(SemanticVersion.parse("1.1.0"));
            InstalledTemplate t = c.templates().install(TemplateRef.of("shared", "^1"));
            assertThat(t.definition().version()).isEqualTo(SemanticVersion.parse("1.1.0"));
            assertThat(c.templates().versions("shared")).containsExactly(SemanticVersion.parse("1.1.0"));
            List<TemplateInfo> found = c.search("three");
            assertThat(found).extracting(TemplateInfo::sourceId, i -> i.version().toString()).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("team", "2.0.0"));
            InstalledTemplate byDigest = c.templates().install(URI.create(v1.reference().replace("/inst/shared@",
                    "/inst/shared@")));
            assertThat(byDigest.definition().version()).isEqualTo(SemanticVersion.parse("1.0.0"));
        }
    }

    @Test
    void install_refusesPackageSignedByAnotherKey(@TempDir Path tmp) throws Exception {
        Path stranger = Templates.sshKey(tmp, "stranger");
        try (VmManager m = publisherManager(tmp.resolve("pub-home"))) {
            m.publisher().publish(Templates.signedPackage(m, Templates.webDemo(tmp, "forged", "1.0.0", "x"), "forged",
                    "1.0.0", stranger, tmp.resolve("f.tar.gz")), registry.oci("forge"));
        }
        try (VmManager c = consumer(tmp.resolve("home"), "forge")) {
            assertThatThrownBy(() -> c.templates().install(TemplateRef.of("forged", "1.0.0")))
                    .isInstanceOfSatisfying(VboxmcpException.class,
                            e -> assertThat(e.code()).isIn(ErrorCode.SIGNATURE_INVALID, ErrorCode.UNTRUSTED));
            assertThat(c.templates().list()).isEmpty();
        }
    }

    @Test
    void fetch_refusesTagMovedToOtherContent(@TempDir Path tmp) throws Exception {
        try (VmManager m = publisherManager(tmp.resolve("pub-home"));
             VmManager c = consumer(tmp.resolve("home"), "moved")) {
            m.publisher().publish(Templates.signedPackage(m, Templates.webDemo(tmp, "moving", "1.0.0", "a"), "moving",
                    "1.0.0", key, tmp.resolve("a.tar.gz")), registry.oci("moved"));
            c.templates().install(TemplateRef.of("moving", "1.0.0"));
            // the attacker (or a careless admin) deletes nothing and re-points the tag at other content
            Path other = Templates.signedPackage(m, Templates.webDemo(tmp, "moving", "1.0.0", "b"), "moving", "1.0.0",
                    key, tmp.resolve("b.tar.gz"));
            m.publisher().publish(other, registry.oci("moved2"));
            OciClient cl = client();
            OciClient.Document doc = cl.manifest("moved2/moving", "1.0.0").orElseThrow();
            for (var l : doc.json().path("layers")) {
                cl.pushBlob("moved/moving", l.path("digest").asText(), java.net.http.HttpRequest.BodyPublishers.ofByteArray(
                        cl.blobUpTo("moved2/moving", l.path("digest").asText(), l.path("size").asLong(), 1 << 20)));
            }
            cl.putManifest("moved/moving", "1.0.0", doc.bytes(), OciClient.MANIFEST);
            c.templates().remove("moving", null);
            assertThatThrownBy(() -> c.templates().install(TemplateRef.of("moving", "1.0.0")))
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT));
            assertThat(c.templates().list()).isEmpty();
        }
    }
}
