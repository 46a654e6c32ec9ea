package io.vboxmcp.core.internal.verify;

import io.vboxmcp.core.internal.archive.TreeSnapshot;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.trust.KeyFileException;
import io.vboxmcp.trust.PinnedKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PinnedKeyStoreTest {
    @TempDir
    static Path keys;
    static Tools.Gpg gpg;
    static String alice;
    static Path sshPub;

    @TempDir
    Path home;

    @BeforeAll
    static void generate() throws Exception {
        gpg = new Tools.Gpg(keys.resolve("g"));
        alice = gpg.generate("Alice <alice@example.org>", "ed25519", "sign", "0");
        sshPub = Path.of(Tools.sshKeygen(keys, "ed25519", 0, "") + ".pub");
    }

    @AfterAll
    static void stop() throws Exception {
        gpg.close();
    }

    @Test
    void addListRemove_perSourceAndGlobal() throws Exception {
        PinnedKeyStore store = new PinnedKeyStore(home);
        PinnedKey pgp = store.add("acme", gpg.exportPublic(alice, keys.resolve("alice.asc")));
        PinnedKey ssh = store.add(PinnedKeyStore.GLOBAL, sshPub);
        assertThat(pgp).isEqualTo(new PinnedKey("acme", "openpgp", alice, "EdDSA", "Alice <alice@example.org>"));
        assertThat(ssh.fingerprint()).startsWith("SHA256:");
        assertThat(ssh.label()).isEqualTo("author@example.org");
        assertThat(Files.exists(home.resolve("trust/acme/" + alice + ".asc"))).isTrue();
        assertThat(store.list("acme")).containsExactly(pgp);
        assertThat(store.keysFor("acme")).extracting(k -> k.fingerprint()).containsExactlyInAnyOrder(alice, ssh.fingerprint());
        assertThat(store.keysFor("other")).extracting(k -> k.fingerprint()).containsExactly(ssh.fingerprint());
        assertThat(store.listAll()).hasSize(2);
        assertThat(store.add("acme", keys.resolve("alice.asc"))).as("re-adding replaces").isEqualTo(pgp);
        assertThat(store.list("acme")).hasSize(1);
        assertThat(store.remove("acme", alice.toLowerCase())).isTrue();
        assertThat(store.remove("acme", alice)).isFalse();
        assertThat(store.keysFor("acme")).hasSize(1);
    }

    @Test
    void add_refusesSecretKeysMalformedFilesAndBadIds_writingNothing() throws Exception {
        PinnedKeyStore store = new PinnedKeyStore(home);
        Path secret = gpg.exportSecret(alice, keys.resolve("secret.asc"));
        Path garbage = Files.writeString(keys.resolve("garbage.pub"), "ssh-ed25519 AAAA!!notbase64 x\n");
        Path two = Files.writeString(keys.resolve("two.pub"), Files.readString(sshPub) + Files.readString(sshPub));
        Path dsa = Files.writeString(keys.resolve("dsa.pub"), "ssh-dss AAAAB3NzaC1kc3M= x\n");
        var before = TreeSnapshot.of(home);
        for (Path bad : new Path[]{secret, garbage, two, dsa, keys.resolve("missing.asc")}) {
            assertThatThrownBy(() -> store.add("acme", bad)).as(bad.toString())
                    .isInstanceOfSatisfying(VboxmcpException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        for (String id : new String[]{"../x", "Acme", "", "a/b"}) {
            assertThatThrownBy(() -> store.add(id, sshPub)).isInstanceOfSatisfying(VboxmcpException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        assertThat(TreeSnapshot.of(home)).isEqualTo(before);
    }

    @Test
    void keysFor_ignoresFilesWhoseContentIsNotAKey() throws Exception {
        PinnedKeyStore store = new PinnedKeyStore(home);
        Files.createDirectories(home.resolve("trust/acme"));
        Files.writeString(home.resolve("trust/acme/ABCDEF.asc"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbroken\n");
        assertThat(store.keysFor("acme")).isEmpty();
    }

    private void assertRefusedCounting(PinnedKeyStore store, Path file, int keys, String message) throws Exception {
        var before = TreeSnapshot.of(home);
        assertThatThrownBy(() -> store.add("acme", file)).as(file.toString())
                .isInstanceOfSatisfying(KeyFileException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.keysFound()).isEqualTo(keys);
                    assertThat(e.getMessage()).contains(message, "nothing was pinned");
                });
        assertThat(TreeSnapshot.of(home)).isEqualTo(before);
    }

    @Test
    void add_refusesAFileWithSeveralKeys_sayingHowMany_SIG05() throws Exception {
        PinnedKeyStore store = new PinnedKeyStore(home);
        String bob = gpg.generate("Bob <bob@example.org>", "ed25519", "sign", "0");
        String a = Files.readString(gpg.exportPublic(alice, keys.resolve("a.asc")));
        String b = Files.readString(gpg.exportPublic(bob, keys.resolve("b.asc")));
        // two armored blocks: the armor decoder alone would read the first and drop the second
        assertRefusedCounting(store, Files.writeString(keys.resolve("two-blocks.asc"), a + b), 2, "2 armored");
        // one block with two keys, as 'gpg --export --armor A B' writes it
        Path both = keys.resolve("one-block.asc");
        gpg.gpg("--yes", "--armor", "--output", both.toString(), "--export", alice, bob).ok();
        assertRefusedCounting(store, both, 2, "2 OpenPGP public keys");
        // three SSH lines
        String line = Files.readString(sshPub);
        assertRefusedCounting(store, Files.writeString(keys.resolve("three.pub"), line + line + line), 3, "3 SSH key lines");
        assertThat(store.listAll()).isEmpty();
    }

    @Test
    void add_refusesTrailingDataAfterTheArmoredKey_SIG05() throws Exception {
        PinnedKeyStore store = new PinnedKeyStore(home);
        String a = Files.readString(gpg.exportPublic(alice, keys.resolve("a.asc")));
        assertRefusedCounting(store, Files.writeString(keys.resolve("trailing.asc"), a + "ssh-ed25519 AAAA smuggled\n"), 1,
                "data after its armored key block");
        assertThat(store.add("acme", keys.resolve("a.asc")).fingerprint()).as("the key alone pins").isEqualTo(alice);
    }
}
