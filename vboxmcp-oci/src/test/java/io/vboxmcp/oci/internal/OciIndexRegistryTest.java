package io.vboxmcp.oci.internal;

import io.vboxmcp.testkit.http.DistributionRegistry;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.OciIndexPublisher;
import io.vboxmcp.oci.OciKeys;
import io.vboxmcp.template.TemplateInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The signed index end to end through the real distribution registry: a publisher builds, signs ({@code ssh-keygen})
 * and pushes root and index; consumers install by the digests the index lists, and refuse an index rolled back in
 * the registry. Each consumer manager is a fresh process's view (one refresh), its trusted state kept in its home.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OciIndexRegistryTest {
    DistributionRegistry registry;
    Path work;
    Path templateKey;
    IndexFixture.Key rootKey;
    IndexFixture.Key indexKey;
    Path rootFile;
    OciIndexPublisher tools;
    Path consumerHome;

    @BeforeAll
    void publish(@TempDir Path dir) throws Exception {
        assumeTrue(DistributionRegistry.available(), "docker-registry is not installed (scripts/install-deps.sh)");
        registry = DistributionRegistry.start(null, null);
        work = dir;
        consumerHome = work.resolve("consumer");
        templateKey = Templates.sshKey(work, "author");
        IndexFixture fx = new IndexFixture(work);
        rootKey = fx.key("root");
        indexKey = fx.key("index");
        try (VmManager m = VmManager.builder().home(work.resolve("pub")).build()) {
            for (String v : List.of("1.0.0", "1.1.0")) {
                m.publisher().publish(Templates.signedPackage(m, Templates.webDemo(work, "market-demo", v, "v" + v),
                        "market-demo", v, templateKey, work.resolve(v + ".tar.gz")), registry.oci("market"));
            }
        }
        tools = OciIndexPublisher.open(registry.oci("market"), Map.of(), k -> java.util.Optional.empty(),
                IndexFixture.verifiers(work));
        rootFile = work.resolve("root.json");
        Files.writeString(rootFile, IndexFixture.root(1, Instant.now().plus(Duration.ofDays(365)), List.of(rootKey), 1,
                List.of(indexKey), 1));
        Templates.sshSign(rootKey.file(), rootFile, OciIndexPublisher.SIGNATURE_NAMESPACE);
        tools.push(rootFile, List.of(work.resolve("root.json.sig")), true);
        pushIndex("index-v1.json", 1);
    }

    @AfterAll
    void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    Path pushIndex(String file, long version) throws Exception {
        Path idx = work.resolve(file);
        Files.write(idx, tools.build(version, Instant.now().plus(Duration.ofDays(7))));
        Templates.sshSign(indexKey.file(), idx, OciIndexPublisher.SIGNATURE_NAMESPACE);
        tools.push(idx, List.of(idx.resolveSibling(file + ".sig")), false);
        return idx;
    }

    VmManager consumer(URI uri, Map<String, String> props) throws VboxmcpException {
        VmManager.Builder b = VmManager.builder().home(consumerHome)
                .addSource(new SourceConfig("market", uri, 0, Map.of(OciKeys.OPTION_ROOT, rootFile.toString())));
        props.forEach(b::property);
        VmManager m = b.build();
        if (m.trust().list("market").isEmpty()) {
            m.trust().add("market", templateKey.resolveSibling("author.pub"));
        }
        return m;
    }

    @Test
    void indexFlow_installsByListedDigest_searchesOffline_refusesRollback_IDX01_IDX15() throws Exception {
        assertThat(tools.verify(work.resolve("index-v1.json"), rootFile, Instant.now())).isEqualTo(1);
        try (VmManager c = consumer(registry.oci("market"), Map.of())) {
            assertThat(c.resolve(TemplateRef.of("market-demo", "^1")).version()).isEqualTo(SemanticVersion.parse("1.1.0"));
            assertThat(c.templates().install(TemplateRef.of("market-demo", "1.0.0")).definition().description())
                    .startsWith("v1.0.0");
            assertThat(c.search("v1.1.0")).extracting(TemplateInfo::name).containsExactly("market-demo");
        }
        Path trusted = consumerHome.resolve("cache/oci/market/index/index.json");
        assertThat(trusted).exists();

        // IDX-15: the registry is gone; the trusted, unexpired index still answers
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        try (VmManager offline = consumer(URI.create("oci://127.0.0.1:" + dead + "/market"), Map.of())) {
            assertThat(offline.search("market")).extracting(i -> i.version().toString()).contains("1.0.0", "1.1.0");
        }

        // IDX-01: version 2 is trusted, then the registry serves version 1 again
        Path v1 = work.resolve("index-v1.json");
        pushIndex("index-v2.json", 2);
        try (VmManager c = consumer(registry.oci("market"), Map.of())) {
            c.resolve(TemplateRef.of("market-demo", "1.0.0"));
        }
        byte[] v2bytes = Files.readAllBytes(trusted);
        tools.push(v1, List.of(work.resolve("index-v1.json.sig")), false);
        try (VmManager c = consumer(registry.oci("market"), Map.of())) {
            assertThatThrownBy(() -> c.templates().install(TemplateRef.of("market-demo", "1.1.0")))
                    .isInstanceOfSatisfying(IndexRefusedException.class,
                            e -> assertThat(e.reason()).isEqualTo(IndexRefusedException.Reason.ROLLBACK));
        }
        assertThat(Files.readAllBytes(trusted)).isEqualTo(v2bytes);
        pushIndex("index-v3.json", 3);  // leave the registry sound for other tests
    }

    @Test
    void indexOverTheCap_isRefusedAndNothingPersisted_IDX13() throws Exception {
        OciIndexPublisher capTools = OciIndexPublisher.open(registry.oci("capped"), Map.of(), k -> java.util.Optional.empty(),
                IndexFixture.verifiers(work));
        capTools.push(rootFile, List.of(work.resolve("root.json.sig")), true);
        Path idx = work.resolve("padded.json");
        Files.writeString(idx, IndexFixture.index(1, Instant.now().plus(Duration.ofDays(7)), null)
                .replace("{\"_type\"", "{\"x-pad\":\"" + "x".repeat(4096) + "\",\"_type\""));
        Templates.sshSign(indexKey.file(), idx, OciIndexPublisher.SIGNATURE_NAMESPACE);
        capTools.push(idx, List.of(work.resolve("padded.json.sig")), false);
        Path home = work.resolve("capped");
        try (VmManager c = VmManager.builder().home(home).property(OciKeys.MAX_INDEX_KB, "2")
                .addSource(new SourceConfig("capped", registry.oci("capped"), 0, Map.of(OciKeys.OPTION_ROOT,
                        rootFile.toString()))).build()) {
            assertThatThrownBy(() -> c.resolve(TemplateRef.of("market-demo", "1.0.0")))
                    .isInstanceOfSatisfying(IndexRefusedException.class,
                            e -> assertThat(e.reason()).isEqualTo(IndexRefusedException.Reason.TOO_LARGE));
        }
        assertThat(home.resolve("cache/oci/capped/index/index.json")).doesNotExist();
    }

    @Test
    void rootRotation_isWalkedFromTheBootstrapRoot_KEY06_KEY07() throws Exception {
        OciIndexPublisher rot = OciIndexPublisher.open(registry.oci("rotate"), Map.of(), k -> java.util.Optional.empty(),
                IndexFixture.verifiers(work));
        IndexFixture fx = new IndexFixture(work);
        IndexFixture.Key newRoot = fx.key("root2");
        rot.push(rootFile, List.of(work.resolve("root.json.sig")), true);
        Path r2 = work.resolve("rotate-root2.json");
        Files.writeString(r2, IndexFixture.root(2, Instant.now().plus(Duration.ofDays(365)), List.of(newRoot), 1,
                List.of(indexKey), 1));
        // signed by the new key only first: the consumer must refuse it (old threshold missing)
        Files.write(work.resolve("rotate-root2.json.sig"), Templates.sshSign(newRoot.file(), r2, OciIndexPublisher.SIGNATURE_NAMESPACE));
        rot.push(r2, List.of(work.resolve("rotate-root2.json.sig")), true);
        Path idx = work.resolve("rotate-index.json");
        Files.write(idx, rot.build(1, Instant.now().plus(Duration.ofDays(7))));
        Templates.sshSign(indexKey.file(), idx, OciIndexPublisher.SIGNATURE_NAMESPACE);
        rot.push(idx, List.of(work.resolve("rotate-index.json.sig")), false);
        Path home = work.resolve("rotating");
        SourceConfig sc = new SourceConfig("rotate", registry.oci("rotate"), 0, Map.of(OciKeys.OPTION_ROOT, rootFile.toString()));
        try (VmManager c = VmManager.builder().home(home).addSource(sc).build()) {
            assertThatThrownBy(() -> c.search("")).isInstanceOfSatisfying(IndexRefusedException.class,
                    e -> assertThat(e.reason()).isEqualTo(IndexRefusedException.Reason.THRESHOLD));
        }
        // now signed by the old and the new root key: walked to version 2
        byte[] both = (new String(Templates.sshSign(rootKey.file(), r2, OciIndexPublisher.SIGNATURE_NAMESPACE))
                + new String(Templates.sshSign(newRoot.file(), r2, OciIndexPublisher.SIGNATURE_NAMESPACE))).getBytes();
        Files.write(work.resolve("rotate-root2.json.sig"), both);
        rot.push(r2, List.of(work.resolve("rotate-root2.json.sig")), true);
        try (VmManager c = VmManager.builder().home(home).addSource(sc).build()) {
            assertThat(c.search("")).isEmpty();
        }
        assertThat(Files.readAllBytes(home.resolve("cache/oci/rotate/index/root.json"))).isEqualTo(Files.readAllBytes(r2));
    }
}
