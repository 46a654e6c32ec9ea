package io.vboxmcp.oci.internal;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.vboxmcp.oci.internal.IndexFixture.Role;
import static io.vboxmcp.oci.internal.IndexTrustTest.LATER;
import static io.vboxmcp.oci.internal.IndexTrustTest.NOW;
import static io.vboxmcp.oci.internal.IndexTrustTest.b;
import static io.vboxmcp.oci.internal.IndexTrustTest.refused;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Delegated names (threats.md REG-03..06, IDX-10) on the trusted files: root, index and publisher metadata written
 * as JSON and signed by the real {@code ssh-keygen}, resolved as a source resolves them after an update.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DelegationTest {
    IndexFixture fx;
    IndexFixture.Key rootKey;
    IndexFixture.Key online;
    IndexFixture.Key pa;
    IndexFixture.Key pb;
    IndexFixture.Key pc;
    IndexFixture.Key stranger;

    @BeforeAll
    void keys(@TempDir Path dir) throws Exception {
        fx = new IndexFixture(dir);
        rootKey = fx.key("root");
        online = fx.key("online");
        pa = fx.key("pa");
        pb = fx.key("pb");
        pc = fx.key("pc");
        stranger = fx.key("stranger");
    }

    /** Root v1 (root key 1 of 1, index key online) delegating as {@code delegations} says. */
    IndexTrust trust(Path dir, String delegations) throws Exception {
        byte[] r = b(IndexFixture.with(IndexFixture.root(1, LATER, List.of(rootKey), 1, List.of(online), 1),
                "delegations", delegations));
        return new IndexTrust(dir, IndexFixture.verifiers(dir), r, fx.sign(r, rootKey), NOW);
    }

    /** Accepts an index listing {@code publishers} (each signed by its key), then the publishers' metadata. */
    DelegatedView publish(IndexTrust t, long version, List<Signed> publishers, String... ownEntries) throws Exception {
        byte[][] docs = publishers.stream().map(Signed::doc).toArray(byte[][]::new);
        byte[] idx = b(IndexFixture.with(IndexFixture.index(version, LATER, null, ownEntries), "publishers",
                IndexFixture.publishers(docs)));
        t.updateIndex(idx, fx.sign(idx, online), NOW);
        for (Signed p : publishers) {
            t.updatePublisher(PublisherDocument.parse(p.doc()).role(), p.doc(), fx.sign(p.doc(), p.by()), NOW);
        }
        return DelegatedView.of(t, t.index().orElseThrow(), NOW);
    }

    record Signed(byte[] doc, IndexFixture.Key... by) { }

    Signed pub(String role, long version, String delegations, IndexFixture.Key by, String... names) {
        List<String> entries = new ArrayList<>();
        for (String n : names) {
            entries.add(n + " 1.0.0 " + IndexFixture.digest((char) ('a' + Math.abs(n.hashCode()) % 6)));
        }
        return new Signed(b(IndexFixture.publisher(role, version, LATER, delegations, entries.toArray(String[]::new))), by);
    }

    static final SemanticVersion V1 = SemanticVersion.of(1, 0, 0);

    @Test
    void lookup_refusesNameSignedByAPublisherItIsNotDelegatedTo_REG03(@TempDir Path dir) throws Exception {
        IndexTrust t = trust(dir, IndexFixture.delegations(Role.of("a-corp", pa, "a-corp-*"), Role.of("b-corp", pb, "b-corp-*")));
        DelegatedView v = publish(t, 1, List.of(pub("a-corp", 1, null, pa, "a-corp-web", "b-corp-evil"),
                pub("b-corp", 1, null, pb, "b-corp-web")));
        assertThat(v.versions("a-corp-web")).containsExactly(V1);
        assertThat(v.versions("b-corp-web")).containsExactly(V1);
        assertThat(refused(Reason.DELEGATION, () -> v.versions("b-corp-evil")).getMessage()).contains("a-corp", "REG-03");
        assertThat(v.names()).containsExactly("a-corp-web", "b-corp-web");
    }

    @Test
    void updateIndex_refusesIndexKeyListingADelegatedName_REG03(@TempDir Path dir) throws Exception {
        IndexTrust t = trust(dir, IndexFixture.delegations(Role.of("b-corp", pb, "b-corp-*")));
        byte[] idx = b(IndexFixture.index(1, LATER, null, "b-corp-web 1.0.0 " + IndexFixture.digest('e')));
        refused(Reason.DELEGATION, () -> t.updateIndex(idx, fx.sign(idx, online), NOW));
        assertThat(t.index()).isEmpty();
        assertThat(dir.resolve(IndexTrust.INDEX_FILE)).doesNotExist();
    }

    @Test
    void lookup_cycleTerminatesAndTheSearchGoesOn_moreThan32DelegationsRefused_REG04(@TempDir Path dir) throws Exception {
        // a-corp -> loop -> a-corp is a cycle; the lookup leaves it and finds the name at the next top-level role
        IndexTrust t = trust(dir, IndexFixture.delegations(Role.of("a-corp", pa, "x-*"), Role.of("b-corp", pb, "x-*"),
                Role.of("chain-1", pc, "deep-*")));
        List<Signed> pubs = new ArrayList<>();
        pubs.add(pub("a-corp", 1, IndexFixture.delegations(Role.of("loop", pc, "x-*")), pa));
        pubs.add(pub("loop", 1, IndexFixture.delegations(Role.of("a-corp", pa, "x-*")), pc));
        pubs.add(pub("b-corp", 1, null, pb, "x-tool"));
        // chain-1 -> chain-2 -> ... -> chain-33: the name sits beyond the cap
        for (int i = 1; i <= 33; i++) {
            String next = i < 33 ? IndexFixture.delegations(Role.of("chain-" + (i + 1), pc, "deep-*")) : null;
            pubs.add(i < 33 ? pub("chain-" + i, 1, next, pc) : pub("chain-" + i, 1, null, pc, "deep-x"));
        }
        DelegatedView v = publish(t, 1, pubs);
        assertThat(v.versions("x-tool")).containsExactly(V1);
        assertThat(refused(Reason.TOO_LARGE, () -> v.versions("deep-x")).getMessage()).contains("32", "REG-04");
        assertThat(v.names()).containsExactly("x-tool");
    }

    @Test
    void parse_refusesMoreThan32DelegationsInOneDocument_REG04(@TempDir Path dir) throws Exception {
        Role[] roles = new Role[33];
        for (int i = 0; i < roles.length; i++) {
            roles[i] = Role.of("r-" + i, pa, "r-" + i + "-*");
        }
        byte[] r = b(IndexFixture.with(IndexFixture.root(1, LATER, List.of(rootKey), 1, List.of(online), 1),
                "delegations", IndexFixture.delegations(roles)));
        refused(Reason.TOO_LARGE, () -> new IndexTrust(dir, IndexFixture.verifiers(dir), r, fx.sign(r, rootKey), NOW));
        assertThat(dir.resolve(IndexTrust.ROOT_FILE)).doesNotExist();
    }

    @Test
    void lookup_stopsAtATerminatingDelegation_REG05(@TempDir Path dir) throws Exception {
        // a-corp holds t-* terminating: b-corp, later in order, is never asked for t-x
        IndexTrust t = trust(dir, IndexFixture.delegations(Role.of("a-corp", pa, "t-*").asTerminating(),
                Role.of("b-corp", pb, "t-*", "u-*")));
        DelegatedView v = publish(t, 1, List.of(pub("a-corp", 1, null, pa, "t-own"), pub("b-corp", 1, null, pb, "t-x", "u-x")));
        assertThat(v.versions("t-own")).containsExactly(V1);
        assertThat(v.versions("u-x")).containsExactly(V1);
        assertThat(refused(Reason.DELEGATION, () -> v.digest("t-x", V1)).getMessage()).contains("REG-05");

        // the same without the terminating flag: b-corp is asked next and answers
        IndexTrust open = trust(dir.resolve("open"), IndexFixture.delegations(Role.of("a-corp", pa, "t-*"),
                Role.of("b-corp", pb, "t-*", "u-*")));
        DelegatedView w = publish(open, 1, List.of(pub("a-corp", 1, null, pa, "t-own"), pub("b-corp", 1, null, pb, "t-x", "u-x")));
        assertThat(w.versions("t-x")).containsExactly(V1);
    }

    @Test
    void lookup_checksARoleAgainstTheDelegationFollowed_diamond_REG06(@TempDir Path dir) throws Exception {
        // a-corp and b-corp both delegate to "tools"; a-corp names tools' real key, b-corp a stranger's key
        IndexTrust t = trust(dir, IndexFixture.delegations(Role.of("a-corp", pa, "a-*"), Role.of("b-corp", pb, "b-*")));
        DelegatedView v = publish(t, 1, List.of(
                pub("a-corp", 1, IndexFixture.delegations(Role.of("tools", pc, "a-*")), pa),
                pub("b-corp", 1, IndexFixture.delegations(Role.of("tools", stranger, "b-*")), pb),
                pub("tools", 1, null, pc, "a-tool", "b-tool")));
        assertThat(v.versions("a-tool")).containsExactly(V1);  // valid via a-corp
        assertThat(refused(Reason.THRESHOLD, () -> v.versions("b-tool")).getMessage()).contains("b-corp", "REG-06");
        assertThat(v.names()).containsExactly("a-tool");
    }

    @Test
    void updatePublisher_refusesMetadataOfAVersionTheIndexDoesNotList_IDX10(@TempDir Path dir) throws Exception {
        IndexTrust t = trust(dir, IndexFixture.delegations(Role.of("a-corp", pa, "a-*")));
        Signed v1 = pub("a-corp", 1, null, pa, "a-web");
        publish(t, 1, List.of(v1));
        Signed v2 = pub("a-corp", 2, null, pa, "a-web", "a-db");
        byte[] idx2 = b(IndexFixture.with(IndexFixture.index(2, LATER, null), "publishers", IndexFixture.publishers(v2.doc())));
        t.updateIndex(idx2, fx.sign(idx2, online), NOW);
        Path stored = dir.resolve(IndexTrust.PUBLISHERS).resolve("a-corp.json");
        // the registry offers version 1 (validly signed) with index 2, which lists version 2
        refused(Reason.INCONSISTENT, () -> t.updatePublisher("a-corp", v1.doc(), fx.sign(v1.doc(), pa), NOW));
        // and a version 2 with other content than the index lists
        Signed other = pub("a-corp", 2, null, pa, "a-web", "a-other");
        refused(Reason.INCONSISTENT, () -> t.updatePublisher("a-corp", other.doc(), fx.sign(other.doc(), pa), NOW));
        assertThat(Files.readAllBytes(stored)).isEqualTo(v1.doc());
        // the stale version 1 is not combined with index 2: its names are refused until version 2 arrives
        DelegatedView v = DelegatedView.of(t, t.index().orElseThrow(), NOW);
        assertThat(refused(Reason.INCONSISTENT, () -> v.versions("a-web")).getMessage()).contains("IDX-10");
        t.updatePublisher("a-corp", v2.doc(), fx.sign(v2.doc(), pa), NOW);
        assertThat(DelegatedView.of(t, t.index().orElseThrow(), NOW).names()).containsExactly("a-db", "a-web");
    }

    @Test
    void updateIndex_refusesIndexThatLowersAPublishersVersion_IDX10(@TempDir Path dir) throws Exception {
        IndexTrust t = trust(dir, IndexFixture.delegations(Role.of("a-corp", pa, "a-*")));
        publish(t, 1, List.of(pub("a-corp", 2, null, pa, "a-web")));
        byte[] idx2 = b(IndexFixture.with(IndexFixture.index(2, LATER, null), "publishers",
                IndexFixture.publishers(pub("a-corp", 1, null, pa, "a-web").doc())));
        refused(Reason.ROLLBACK, () -> t.updateIndex(idx2, fx.sign(idx2, online), NOW));
        assertThat(t.index().orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void updatePublisher_refusesNewMetadataChangingThePublishedDigest_REG02(@TempDir Path dir) throws Exception {
        IndexTrust t = trust(dir, IndexFixture.delegations(Role.of("a-corp", pa, "a-*")));
        Signed v1 = new Signed(b(IndexFixture.publisher("a-corp", 1, LATER, null, "a-web 1.0.0 " + IndexFixture.digest('a'))), pa);
        publish(t, 1, List.of(v1));
        Signed v2 = new Signed(b(IndexFixture.publisher("a-corp", 2, LATER, null, "a-web 1.0.0 " + IndexFixture.digest('b'))), pa);
        byte[] idx2 = b(IndexFixture.with(IndexFixture.index(2, LATER, null), "publishers", IndexFixture.publishers(v2.doc())));
        t.updateIndex(idx2, fx.sign(idx2, online), NOW);
        refused(Reason.INCONSISTENT, () -> t.updatePublisher("a-corp", v2.doc(), fx.sign(v2.doc(), pa), NOW));
        assertThat(Files.readAllBytes(dir.resolve(IndexTrust.PUBLISHERS).resolve("a-corp.json"))).isEqualTo(v1.doc());
    }

    @Test
    void verify_checksPublisherFilesThroughTheDelegations_REG03(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("root.json");
        Files.writeString(root, IndexFixture.with(IndexFixture.root(1, LATER.plusSeconds(86_400 * 365), List.of(rootKey), 1,
                List.of(online), 1), "delegations", IndexFixture.delegations(Role.of("a-corp", pa, "a-corp-*"))));
        Templates.sshSign(rootKey.file(), root, IndexTrust.NAMESPACE);
        Path a = dir.resolve("a-corp.json");
        Files.writeString(a, IndexFixture.publisher("a-corp", 1, LATER.plusSeconds(86_400 * 365), null,
                "a-corp-web 1.0.0 " + IndexFixture.digest('a'), "b-corp-web 1.0.0 " + IndexFixture.digest('b')));
        Templates.sshSign(pa.file(), a, IndexTrust.NAMESPACE);
        Path index = dir.resolve("index.json");
        Files.writeString(index, IndexFixture.with(IndexFixture.index(1, LATER.plusSeconds(86_400 * 365), null), "publishers",
                IndexFixture.publishers(Files.readAllBytes(a))));
        Templates.sshSign(online.file(), index, IndexTrust.NAMESPACE);
        io.vboxmcp.oci.OciIndexPublisher tools = io.vboxmcp.oci.OciIndexPublisher.open(
                java.net.URI.create("oci://127.0.0.1/verify"), java.util.Map.of(), k -> java.util.Optional.empty(),
                IndexFixture.verifiers(dir));
        java.time.Instant now = java.time.Instant.now();
        assertThat(tools.verify(index, root, now)).isEqualTo(1);  // root and index alone are fine
        assertThat(refused(Reason.DELEGATION, () -> tools.verify(index, root, List.of(a), now)).getMessage())
                .startsWith("b-corp-web: ").contains("REG-03");
    }
}
