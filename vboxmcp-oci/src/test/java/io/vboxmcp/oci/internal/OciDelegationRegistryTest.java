package io.vboxmcp.oci.internal;

import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.oci.OciIndexPublisher;
import io.vboxmcp.oci.OciKeys;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.testkit.http.DistributionRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A two-publisher marketplace in the real distribution registry: the root delegates {@code a-corp-*} to publisher
 * a-corp and {@code b-corp-*} to b-corp, each signs its own metadata ({@code ssh-keygen}), the index lists both
 * metadata versions. The attacks run in order against one consumer home (a user's machine across updates): a-corp
 * listing a b-corp name (REG-03), a publisher tag moved back to an older document (IDX-10), an index listing
 * publisher metadata the registry does not have (IDX-16).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OciDelegationRegistryTest {
    static final String NS = "deleg";
    /** What a-corp lists: its own names and, the attack, a b-corp name. */
    static final List<String> A_NAMES = List.of("a-corp-*", "b-corp-evil");
    DistributionRegistry registry;
    Path work;
    Path templateKey;
    IndexFixture.Key rootKey;
    IndexFixture.Key indexKey;
    IndexFixture.Key pa;
    IndexFixture.Key pb;
    Path rootFile;
    OciIndexPublisher tools;
    Path home;

    @BeforeAll
    void marketplace(@TempDir Path dir) throws Exception {
        assumeTrue(DistributionRegistry.available(), "docker-registry is not installed (scripts/install-deps.sh)");
        registry = DistributionRegistry.start(null, null);
        work = dir;
        home = work.resolve("consumer");
        templateKey = Templates.sshKey(work, "author");
        IndexFixture fx = new IndexFixture(work);
        rootKey = fx.key("root");
        indexKey = fx.key("index");
        pa = fx.key("pa");
        pb = fx.key("pb");
        try (VmManager m = VmManager.builder().home(work.resolve("pub")).build()) {
            for (String name : List.of("a-corp-web", "b-corp-web", "b-corp-evil")) {
                m.publisher().publish(Templates.signedPackage(m, Templates.webDemo(work, name, "1.0.0", name), name,
                        "1.0.0", templateKey, work.resolve(name + ".tar.gz")), registry.oci(NS));
            }
        }
        tools = OciIndexPublisher.open(registry.oci(NS), Map.of(), k -> Optional.empty(), IndexFixture.verifiers(work));
        rootFile = work.resolve("root.json");
        Files.writeString(rootFile, IndexFixture.with(IndexFixture.root(1, in(365), List.of(rootKey), 1, List.of(indexKey), 1),
                "delegations", IndexFixture.delegations(IndexFixture.Role.of("a-corp", pa, "a-corp-*"),
                        IndexFixture.Role.of("b-corp", pb, "b-corp-*"))));
        Templates.sshSign(rootKey.file(), rootFile, OciIndexPublisher.SIGNATURE_NAMESPACE);
        tools.push(rootFile, List.of(sig(rootFile)), true);
        // a-corp lists its own template and, as the attack, b-corp-evil, which only b-corp may list (REG-03)
        pushPublisher("a-corp-1.json", tools.buildPublisher("a-corp", A_NAMES, 0, in(30)), pa);
        pushPublisher("b-corp-1.json", tools.buildPublisher("b-corp", List.of("b-corp-web"), 0, in(30)), pb);
        pushIndex(tools.build(0, in(7)));
    }

    @AfterAll
    void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    static Instant in(int days) {
        return Instant.now().plus(Duration.ofDays(days));
    }

    static Path sig(Path doc) {
        return doc.resolveSibling(doc.getFileName() + ".sig");
    }

    Path pushPublisher(String file, byte[] doc, IndexFixture.Key key) throws Exception {
        Path p = work.resolve(file);
        Files.write(p, doc);
        Templates.sshSign(key.file(), p, OciIndexPublisher.SIGNATURE_NAMESPACE);
        tools.push(p, List.of(sig(p)), false);
        return p;
    }

    void pushIndex(byte[] doc) throws Exception {
        Path idx = work.resolve("index.json");
        Files.write(idx, doc);
        Templates.sshSign(indexKey.file(), idx, OciIndexPublisher.SIGNATURE_NAMESPACE);
        tools.push(idx, List.of(sig(idx)), false);
    }

    VmManager consumer() throws VboxmcpException {
        return consumer(home);
    }

    VmManager consumer(Path at) throws VboxmcpException {
        VmManager m = VmManager.builder().home(at).addSource(new SourceConfig("market", registry.oci(NS), 0,
                Map.of(OciKeys.OPTION_ROOT, rootFile.toString()))).build();
        if (m.trust().list("market").isEmpty()) {
            m.trust().add("market", templateKey.resolveSibling("author.pub"));
        }
        return m;
    }

    Path trusted(String file) {
        return home.resolve("cache/oci/market/index").resolve(file);
    }

    static void refused(Reason reason, String row, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(IndexRefusedException.class, e -> {
            assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
            assertThat(e.getMessage()).contains(row);
        });
    }

    @Test
    @Order(1)
    void install_refusesANameSignedByAnotherPublisher_searchShowsOnlyDelegatedNames_REG03() throws Exception {
        try (VmManager c = consumer()) {
            assertThat(c.search("")).extracting(TemplateInfo::name).containsExactlyInAnyOrder("a-corp-web", "b-corp-web");
            refused(Reason.DELEGATION, "REG-03", () -> c.resolve(TemplateRef.of("b-corp-evil", "1.0.0")));
        }
        // installs in another home: the consumer home above keeps resolving from the registry in the later tests
        try (VmManager c = consumer(work.resolve("installer"))) {
            refused(Reason.DELEGATION, "REG-03", () -> c.templates().install(TemplateRef.of("b-corp-evil", "1.0.0")));
            assertThat(c.templates().list()).isEmpty();
            // the package is in the registry and signed by the key pinned for the source: only the delegation refuses it
            assertThat(c.templates().install(TemplateRef.of("a-corp-web", "1.0.0")).definition().name()).isEqualTo("a-corp-web");
            assertThat(c.templates().install(TemplateRef.of("b-corp-web", "1.0.0")).definition().name()).isEqualTo("b-corp-web");
            assertThat(c.templates().list()).extracting(TemplateInfo::name).containsExactlyInAnyOrder("a-corp-web", "b-corp-web");
        }
        assertThat(Files.readAllBytes(trusted("publishers/a-corp.json"))).isEqualTo(Files.readAllBytes(work.resolve("a-corp-1.json")));
    }

    @Test
    @Order(2)
    void update_refusesPublisherMetadataTheIndexDoesNotList_IDX10() throws Exception {
        Path v1 = work.resolve("a-corp-1.json");
        // version 2 keeps listing what version 1 listed: a publisher's versions only change with a tombstone (IDX-08)
        pushPublisher("a-corp-2.json", tools.buildPublisher("a-corp", A_NAMES, 0, in(30)), pa);
        pushIndex(tools.build(0, in(7)));
        // the registry's publisher.a-corp.2 tag is moved back to version 1, validly signed by a-corp: mix and match
        SourceConfig sc = new SourceConfig("attacker", registry.oci(NS), 0, Map.of());
        SignedIndexes.push(OciTemplateSourceFactory.client(sc, k -> Optional.empty(), OciTemplateSourceFactory.target(sc)), NS,
                SignedIndexes.publisherTag("a-corp", 2), Artifacts.PUBLISHER_LAYER, Files.readAllBytes(v1),
                OciTemplateSourceFactory.signatures(v1));
        try (VmManager c = consumer()) {
            refused(Reason.INCONSISTENT, "IDX-10", () -> c.resolve(TemplateRef.of("a-corp-web", "1.0.0")));
        }
        assertThat(Files.readAllBytes(trusted("publishers/a-corp.json"))).isEqualTo(Files.readAllBytes(v1));
        assertThat(trusted("publishers")).isDirectoryNotContaining("glob:**.tmp");
        // the real version 2 back in place: the update goes through
        tools.push(work.resolve("a-corp-2.json"), List.of(sig(work.resolve("a-corp-2.json"))), false);
        try (VmManager c = consumer()) {
            assertThat(c.search("")).extracting(TemplateInfo::name).containsExactlyInAnyOrder("a-corp-web", "b-corp-web");
        }
        assertThat(Files.readAllBytes(trusted("publishers/a-corp.json")))
                .isEqualTo(Files.readAllBytes(work.resolve("a-corp-2.json")));
    }

    @Test
    @Order(3)
    void update_publisherMetadata404_advancesTheIndexNotThePublisher_andItsNamesFail_IDX16() throws Exception {
        byte[] a2 = Files.readAllBytes(work.resolve("a-corp-2.json"));
        // a-corp's version 3 is signed and listed by the index, but never reaches the registry
        Path a3 = work.resolve("a-corp-3.json");
        Files.write(a3, tools.buildPublisher("a-corp", A_NAMES, 3, in(30)));
        String index = new String(tools.build(0, in(7)), StandardCharsets.UTF_8);
        String listed = "\"version\" : 2,\n    \"digest\" : \"" + Digests.sha256(a2) + "\"";
        assertThat(index).contains(listed);
        byte[] index3 = index.replace(listed, "\"version\" : 3,\n    \"digest\" : \"" + Digests.sha256(Files.readAllBytes(a3)) + "\"")
                .getBytes(StandardCharsets.UTF_8);
        pushIndex(index3);
        try (VmManager c = consumer()) {
            refused(Reason.INCONSISTENT, "IDX-16", () -> c.resolve(TemplateRef.of("a-corp-web", "1.0.0")));
            // the other publisher's names are still served
            assertThat(c.resolve(TemplateRef.of("b-corp-web", "1.0.0")).name()).isEqualTo("b-corp-web");
        }
        assertThat(Files.readAllBytes(trusted("index.json"))).isEqualTo(index3);
        assertThat(Files.readAllBytes(trusted("publishers/a-corp.json"))).isEqualTo(a2);
        // a-corp pushes version 3 after all: its names come back
        Templates.sshSign(pa.file(), a3, OciIndexPublisher.SIGNATURE_NAMESPACE);
        tools.push(a3, List.of(sig(a3)), false);
        try (VmManager c = consumer()) {
            assertThat(c.resolve(TemplateRef.of("a-corp-web", "1.0.0")).name()).isEqualTo("a-corp-web");
        }
    }
}
