package io.vboxmcp.oci.internal;

import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;
import io.vboxmcp.spi.DetachedSignature;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The index and root rules (threats.md IDX, KEY-06..09, REG), with keys and signatures made by {@code ssh-keygen}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IndexTrustTest {
    static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    static final Instant LATER = NOW.plus(Duration.ofDays(30));
    IndexFixture fx;
    IndexFixture.Key a;
    IndexFixture.Key b;
    IndexFixture.Key c;
    IndexFixture.Key online;

    @BeforeAll
    void keys(@TempDir Path dir) throws Exception {
        fx = new IndexFixture(dir);
        a = fx.key("a");
        b = fx.key("b");
        c = fx.key("c");
        online = fx.key("online");
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    IndexTrust trust(Path dir, byte[] root, List<DetachedSignature> sigs) throws Exception {
        return new IndexTrust(dir, IndexFixture.verifiers(dir), root, sigs, NOW);
    }

    /** Root v1: root role a (1 of 1), index role online (1 of 1). */
    IndexTrust simple(Path dir) throws Exception {
        byte[] r = b(IndexFixture.root(1, LATER, List.of(a), 1, List.of(online), 1));
        return trust(dir, r, fx.sign(r, a));
    }

    void index(IndexTrust t, long v, Instant expires, String removed, String... entries) throws Exception {
        byte[] i = b(IndexFixture.index(v, expires, removed, entries));
        t.updateIndex(i, fx.sign(i, online), NOW);
    }

    static IndexRefusedException refused(Reason reason, Executable e) {
        IndexRefusedException x = assertThrows(IndexRefusedException.class, e);
        assertThat(x.reason()).as(x.getMessage()).isEqualTo(reason);
        return x;
    }

    String foo(String v, char d) {
        return "foo " + v + " " + IndexFixture.digest(d);
    }

    // ------------------------------------------------------------------ roots

    @Test
    void rotateRoot_refusesNewRootSignedOnlyByNewKey_KEY06(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        byte[] r2 = b(IndexFixture.root(2, LATER, List.of(b), 1, List.of(online), 1));
        refused(Reason.THRESHOLD, () -> t.rotateRoot(r2, fx.sign(r2, b), NOW));
        assertThat(t.root().version()).isEqualTo(1);
        assertThat(Files.readAllBytes(dir.resolve(IndexTrust.ROOT_FILE))).isNotEqualTo(r2);
    }

    @Test
    void rotateRoot_refusesNewRootSignedOnlyByOldKey_KEY07(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        byte[] r2 = b(IndexFixture.root(2, LATER, List.of(b), 1, List.of(online), 1));
        refused(Reason.THRESHOLD, () -> t.rotateRoot(r2, fx.sign(r2, a), NOW));
        assertThat(t.root().version()).isEqualTo(1);
        t.rotateRoot(r2, fx.sign(r2, a, b), NOW);  // both thresholds met: accepted
        assertThat(t.root().version()).isEqualTo(2);
    }

    @Test
    void rotateRoot_refusesThresholdDecreaseSignedByOne_KEY08(@TempDir Path dir) throws Exception {
        byte[] r1 = b(IndexFixture.root(1, LATER, List.of(a, b, c), 2, List.of(online), 1));
        IndexTrust t = trust(dir, r1, fx.sign(r1, a, b));
        byte[] r2 = b(IndexFixture.root(2, LATER, List.of(a, b, c), 1, List.of(online), 1));
        refused(Reason.THRESHOLD, () -> t.rotateRoot(r2, fx.sign(r2, a), NOW));
        assertThat(t.root().root().threshold()).isEqualTo(2);
    }

    @Test
    void rotateRoot_refusesSkippedVersion_KEY09(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        byte[] r3 = b(IndexFixture.root(3, LATER, List.of(a), 1, List.of(online), 1));
        refused(Reason.WRONG_DOCUMENT, () -> t.rotateRoot(r3, fx.sign(r3, a), NOW));
        assertThat(t.root().version()).isEqualTo(1);
    }

    @Test
    void rotateRoot_refusesDocumentWhoseVersionIsNotTheOneAskedFor_IDX03(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        byte[] r1again = b(IndexFixture.root(1, LATER.plusSeconds(1), List.of(a), 1, List.of(online), 1));
        refused(Reason.WRONG_DOCUMENT, () -> t.rotateRoot(r1again, fx.sign(r1again, a), NOW));
    }

    @Test
    void bootstrap_refusesRootMissingAFieldOrBadlySigned_IDX22(@TempDir Path dir) throws Exception {
        byte[] r = b(IndexFixture.root(1, LATER, List.of(a), 1, List.of(online), 1));
        byte[] missing = b(new String(r, StandardCharsets.UTF_8).replace("\"expires\"", "\"expiry\""));
        refused(Reason.MALFORMED, () -> trust(dir, missing, fx.sign(missing, a)));
        refused(Reason.THRESHOLD, () -> trust(dir, r, fx.sign(r, b)));
        refused(Reason.THRESHOLD, () -> trust(dir, r, List.of()));
        assertThat(dir.resolve(IndexTrust.ROOT_FILE)).doesNotExist();
    }

    // ------------------------------------------------------------------ index freshness

    @Test
    void updateIndex_refusesOlderVersion_IDX01(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        index(t, 5, LATER, null, foo("1.0.0", 'a'));
        byte[] v5 = Files.readAllBytes(dir.resolve(IndexTrust.INDEX_FILE));
        refused(Reason.ROLLBACK, () -> index(t, 4, LATER, null, foo("1.0.0", 'a')));
        assertThat(t.index().orElseThrow().version()).isEqualTo(5);
        assertThat(Files.readAllBytes(dir.resolve(IndexTrust.INDEX_FILE))).isEqualTo(v5);
    }

    @Test
    void updateIndex_keepsStoredWhenSameVersionHasOtherBytes_IDX02(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        index(t, 5, LATER, null, foo("1.0.0", 'a'));
        byte[] v5 = Files.readAllBytes(dir.resolve(IndexTrust.INDEX_FILE));
        refused(Reason.ROLLBACK, () -> index(t, 5, LATER, null, foo("1.0.0", 'a'), "bar 1.0.0 " + IndexFixture.digest('b')));
        assertThat(Files.readAllBytes(dir.resolve(IndexTrust.INDEX_FILE))).isEqualTo(v5);
        assertThat(t.index().orElseThrow().names()).containsExactly("foo");
    }

    @Test
    void updateIndex_refusesExpiredIndexNamingTheDate_IDX04(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        Instant past = NOW.minusSeconds(60);
        IndexRefusedException e = refused(Reason.EXPIRED, () -> index(t, 1, past, null, foo("1.0.0", 'a')));
        assertThat(e.getMessage()).contains(past.toString());
        assertThat(dir.resolve(IndexTrust.INDEX_FILE)).doesNotExist();
    }

    @Test
    void updateIndex_acceptsValidRemoteWhenLocalExpired_IDX05(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        byte[] i1 = b(IndexFixture.index(1, NOW.minusSeconds(3600), null, foo("1.0.0", 'a')));
        t.updateIndex(i1, fx.sign(i1, online), NOW.minusSeconds(7200));  // valid when it was fetched
        index(t, 2, LATER, null, foo("1.0.0", 'a'));
        assertThat(t.index().orElseThrow().version()).isEqualTo(2);
    }

    @Test
    void updateIndex_judgesExpiryAgainstTheFixedStartTime_IDX06(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        Instant start = Instant.now();
        byte[] i = b(IndexFixture.index(1, start.plusMillis(1), null, foo("1.0.0", 'a')));
        List<DetachedSignature> sigs = fx.sign(i, online);  // ssh-keygen takes longer than the millisecond left
        assertThat(Instant.now()).isAfter(start.plusMillis(1));
        assertThat(t.updateIndex(i, sigs, start)).isTrue();
    }

    @Test
    void updateIndex_refusesLowerTemplateVersion_IDX07(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        index(t, 5, LATER, null, foo("1.2.0", 'a'), foo("1.3.0", 'b'));
        refused(Reason.ROLLBACK, () -> index(t, 6, LATER, "{\"name\":\"foo\",\"version\":\"1.3.0\"}", foo("1.2.0", 'a')));
        assertThat(t.index().orElseThrow().version()).isEqualTo(5);
    }

    @Test
    void updateIndex_refusesSilentRemoval_acceptsMarkedRemoval_IDX08(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        index(t, 5, LATER, null, foo("1.0.0", 'a'), "bar 1.0.0 " + IndexFixture.digest('b'));
        refused(Reason.INCONSISTENT, () -> index(t, 6, LATER, null, foo("1.0.0", 'a')));
        index(t, 6, LATER, "{\"name\":\"bar\",\"version\":\"1.0.0\"}", foo("1.0.0", 'a'));
        assertThat(t.index().orElseThrow().names()).containsExactly("foo");
    }

    @Test
    void rotateRoot_withNewIndexKeys_recoversFromFastForwardedIndex_IDX11(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        index(t, Integer.MAX_VALUE, LATER, null, foo("1.0.0", 'a'));  // signed with the stolen online key
        refused(Reason.ROLLBACK, () -> index(t, 1, LATER, null, foo("1.0.0", 'a')));
        byte[] r2 = b(IndexFixture.root(2, LATER, List.of(a), 1, List.of(b), 1));
        t.rotateRoot(r2, fx.sign(r2, a), NOW);
        byte[] i1 = b(IndexFixture.index(1, LATER, null, foo("1.0.0", 'a')));
        t.updateIndex(i1, fx.sign(i1, b), NOW);
        assertThat(t.index().orElseThrow().version()).isEqualTo(1);
    }

    @Test
    void parse_refusesBadVersions_IDX12() {
        for (String v : List.of("9223372036854775807", "-1", "0", "1.5", "\"7\"", "null")) {
            refused(Reason.MALFORMED, () -> IndexDocument.parse(b(IndexFixture.index(1, LATER, null)
                    .replace("\"version\":1", "\"version\":" + v))));
        }
    }

    @Test
    void updateIndex_refusesRootServedAsIndex_IDX17(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        byte[] r = b(IndexFixture.root(2, LATER, List.of(online), 1, List.of(online), 1));
        refused(Reason.WRONG_DOCUMENT, () -> t.updateIndex(r, fx.sign(r, online), NOW));
    }

    @Test
    void updateIndex_acceptsUnknownSignedFields_IDX18(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        byte[] i = b(IndexFixture.index(1, LATER, null, foo("1.0.0", 'a')).replace("{\"_type\"", "{\"x-mirror\":\"eu\",\"_type\""));
        assertThat(t.updateIndex(i, fx.sign(i, online), NOW)).isTrue();
        byte[] tampered = b(new String(i, StandardCharsets.UTF_8).replace("\"eu\"", "\"us\""));
        refused(Reason.THRESHOLD, () -> t.updateIndex(tampered, fx.sign(i, online), NOW));
    }

    @Test
    void updateIndex_persistsTheReceivedBytesAtomically_IDX19(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        byte[] i = b(IndexFixture.index(3, LATER, null, foo("1.0.0", 'a')).replace(",", ",  "));
        t.updateIndex(i, fx.sign(i, online), NOW);
        assertThat(Files.readAllBytes(dir.resolve(IndexTrust.INDEX_FILE))).isEqualTo(i);
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void reopen_afterCrashBetweenDownloadAndPersist_startsFromOldIndex_IDX20(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        index(t, 5, LATER, null, foo("1.0.0", 'a'));
        // a process killed mid-write leaves its temp file; the trusted file is the old one, whole
        Files.writeString(dir.resolve("." + IndexTrust.INDEX_FILE + ".tmp"), "{\"_type\":\"vboxmcp-ind");
        IndexTrust reopened = new IndexTrust(dir, IndexFixture.verifiers(dir), new byte[0], List.of(), NOW);
        assertThat(reopened.index().orElseThrow().version()).isEqualTo(5);
        index(reopened, 6, LATER, null, foo("1.0.0", 'a'));
        assertThat(reopened.index().orElseThrow().version()).isEqualTo(6);
    }

    @Test
    void parse_refusesUnsafeTemplateNames_IDX21() {
        for (String n : List.of("../x", "/abs", "a?b", "a#b", "%2e%2e", ".", "..", "A")) {
            refused(Reason.MALFORMED, () -> IndexDocument.parse(b(IndexFixture.index(1, LATER, null,
                    n + " 1.0.0 " + IndexFixture.digest('a')))));
        }
    }

    // ------------------------------------------------------------------ registry rows

    @Test
    void parse_refusesSameVersionListedTwice_REG01() {
        refused(Reason.INCONSISTENT, () -> IndexDocument.parse(b(IndexFixture.index(1, LATER, null, foo("1.0.0", 'a'),
                foo("1.0.0", 'b')))));
    }

    @Test
    void updateIndex_refusesChangedDigestOfPublishedVersion_REG02(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        index(t, 1, LATER, null, foo("1.0.0", 'a'));
        refused(Reason.INCONSISTENT, () -> index(t, 2, LATER, null, foo("1.0.0", 'b')));
    }

    @Test
    void updateIndex_refusesIndexSignedByAKeyItNamesItself_REG07(@TempDir Path dir) throws Exception {
        IndexTrust t = simple(dir);
        // the index brings a "keys" field naming key c and is signed by c: only the root's index keys count
        byte[] i = b(IndexFixture.index(1, LATER, null, foo("1.0.0", 'a')).replace("{\"_type\"",
                "{\"keys\":{\"" + c.id() + "\":{\"format\":\"ssh\",\"key\":\"" + c.publicLine() + "\"}},\"_type\""));
        refused(Reason.THRESHOLD, () -> t.updateIndex(i, fx.sign(i, c), NOW));
        assertThat(t.index()).isEmpty();
    }

    @Test
    void threshold_countsOneKeyOnceAndIgnoresGarbageBesideValid_KEY03(@TempDir Path dir) throws Exception {
        byte[] r1 = b(IndexFixture.root(1, LATER, List.of(a), 1, List.of(a, b), 2));
        IndexTrust t = trust(dir, r1, fx.sign(r1, a));
        byte[] i = b(IndexFixture.index(1, LATER, null, foo("1.0.0", 'a')));
        List<DetachedSignature> twiceA = new java.util.ArrayList<>(fx.sign(i, a));
        twiceA.addAll(fx.sign(i, a));
        refused(Reason.THRESHOLD, () -> t.updateIndex(i, twiceA, NOW));
        List<DetachedSignature> withGarbage = new java.util.ArrayList<>(fx.sign(i, a, b));
        withGarbage.add(new DetachedSignature("ssh", b("-----BEGIN SSH SIGNATURE-----\ngarbage\n"), "junk"));
        assertThat(t.updateIndex(i, withGarbage, NOW)).isTrue();
    }
}
