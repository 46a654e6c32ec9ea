package io.vboxmcp.git.internal;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.ArchiveException;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProgressEvent;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.git.GitKeys;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.spi.TrustedKey;
import io.vboxmcp.template.TemplateInfo;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Git sources against the real {@code git daemon} on 127.0.0.1 (and {@code file:} where the transport does not
 * matter), with repositories, tags and signatures made by the real {@code git}, {@code gpg} and {@code ssh-keygen}.
 */
class GitTemplateSourceTest {
    @TempDir
    static Path shared;
    static GitCli git;
    static GitDaemon daemon;
    static Path repos;
    static String trustedPgp;
    static String strangerPgp;
    static Path trustedSsh;
    static Path strangerSsh;

    @TempDir
    Path tmp;
    StubProviderContext context;
    Path repo;
    String repoName;

    @BeforeAll
    static void keysAndServer() throws Exception {
        git = new GitCli(shared.resolve("home"));
        trustedPgp = git.gpgKey("Trusted Publisher <trusted@example.org>");
        // present in the signer's keyring, like a key in ~/.gnupg, but never pinned (GIT-02)
        strangerPgp = git.gpgKey("Stranger <stranger@example.org>");
        trustedSsh = git.sshKey("trusted_ssh");
        strangerSsh = git.sshKey("stranger_ssh");
        repos = Files.createDirectories(shared.resolve("repos"));
        daemon = new GitDaemon(repos);
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
        git.close();
    }

    @BeforeEach
    void pinKeys(org.junit.jupiter.api.TestInfo info) throws Exception {
        context = new StubProviderContext(tmp.resolve("vboxmcp-home"));
        context.keys.add(new TrustedKey("openpgp", trustedPgp, git.gpgPublicKey(trustedPgp), "trusted publisher"));
        context.keys.add(new TrustedKey("ssh", git.sshFingerprint(trustedSsh),
                Files.readAllBytes(Path.of(trustedSsh + ".pub")), "trusted ssh"));
        repoName = info.getTestMethod().orElseThrow().getName() + "-" + Math.abs(info.getDisplayName().hashCode());
        repo = git.init(repos.resolve(repoName));
    }

    private TemplateSource source(String uri, Map<String, String> options) throws VboxmcpException {
        return new GitTemplateSourceFactory().create(new SourceConfig("team", URI.create(uri), 0, options), context);
    }

    private TemplateSource daemonSource() throws VboxmcpException {
        return source(daemon.url(repoName), Map.of());
    }

    private TemplateSource unsignedFileSource() throws VboxmcpException {
        return source(repo.resolve(".git").toUri().toString(), Map.of(GitKeys.REQUIRE_SIGNED_TAGS, "false"));
    }

    private static void assertEmpty(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var s = Files.list(dir)) {
                assertThat(s.toList()).as("nothing may be written when a template is refused").isEmpty();
            }
        }
    }

    @Test
    void folderLayout_listsAndFetchesSignedTags_overGitDaemon() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "Python 3 development", "python", "dev");
        Files.writeString(repo.resolve("python-dev/setup.sh"), "#!/bin/sh\necho hi\n");
        repo.resolve("python-dev/setup.sh").toFile().setExecutable(true);
        Files.createDirectories(repo.resolve("python-dev/files/etc"));
        Files.writeString(repo.resolve("python-dev/files/etc/motd"), "welcome\n");
        Files.writeString(repo.resolve("python-dev/vboxmcp.manifest.asc"), "-----BEGIN PGP SIGNATURE-----\nx\n");
        GitCli.template(repo, "node-dev", "node-dev", "2.0.0", "Node 20", "node");
        git.commitAll(repo, "two templates");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        git.sshTag(repo, "node-dev/v2.0.0", trustedSsh);
        git.run(repo, "git", "tag", "unrelated-tag");

        try (TemplateSource s = daemonSource()) {
            assertThat(s.remote()).isTrue();
            assertThat(s.names()).containsExactly("node-dev", "python-dev");
            assertThat(s.versions("python-dev")).containsExactly(SemanticVersion.parse("1.0.0"));
            assertThat(s.describe()).extracting(TemplateInfo::name, i -> i.version().toString(), TemplateInfo::description)
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("python-dev", "1.0.0", "Python 3 development"),
                            org.assertj.core.groups.Tuple.tuple("node-dev", "2.0.0", "Node 20"));
            assertThat(s.describe()).filteredOn(i -> i.name().equals("python-dev")).singleElement()
                    .satisfies(i -> assertThat(i.tags()).containsExactly("python", "dev"));

            Path work = tmp.resolve("work-py");
            FetchedTemplate py = s.fetch("python-dev", SemanticVersion.parse("1.0.0"), work);
            assertThat(py.preVerifiedSigner()).isEqualTo(trustedPgp);
            assertThat(py.remote()).isTrue();
            assertThat(py.provenance()).contains("python-dev/v1.0.0").contains("openpgp");
            assertThat(Files.readString(work.resolve("files/etc/motd"))).isEqualTo("welcome\n");
            assertThat(Files.isExecutable(work.resolve("setup.sh"))).isTrue();
            assertThat(work.resolve("node-dev")).doesNotExist();
            assertThat(py.signatures()).singleElement().satisfies(sig -> {
                assertThat(sig.format()).isEqualTo("openpgp");
                assertThat(sig.fileName()).isEqualTo("vboxmcp.manifest.asc");
            });

            FetchedTemplate node = s.fetch("node-dev", SemanticVersion.parse("2.0.0"), tmp.resolve("work-node"));
            assertThat(node.preVerifiedSigner()).isEqualTo(git.sshFingerprint(trustedSsh));
            assertThat(tmp.resolve("work-node/template-definition.yaml")).exists();
        }
    }

    @Test
    void singleTemplateRepo_takesNameFromDocumentAndVersionsFromRootTags() throws Exception {
        GitCli.template(repo, "", "python-dev", "1.0.0", "first");
        git.commitAll(repo, "1.0.0");
        git.lightweightTag(repo, "v1.0.0");
        GitCli.template(repo, "", "python-dev", "1.1.0", "second");
        git.commitAll(repo, "1.1.0");
        git.annotatedTag(repo, "v1.1.0");

        try (TemplateSource s = unsignedFileSource()) {
            assertThat(s.remote()).isFalse();
            assertThat(s.names()).containsExactly("python-dev");
            assertThat(s.versions("python-dev")).extracting(Object::toString).containsExactly("1.0.0", "1.1.0");
            FetchedTemplate f = s.fetch("python-dev", SemanticVersion.parse("1.0.0"), tmp.resolve("w"));
            assertThat(Files.readString(tmp.resolve("w/template-definition.yaml"))).contains("first");
            assertThat(f.preVerifiedSigner()).isNull();
        }
    }

    @Test
    void subdirectoryOption_findsTemplatesBelowIt() throws Exception {
        GitCli.template(repo, "templates/base", "base", "0.1.0", "in a subfolder");
        git.commitAll(repo, "sub");
        git.gpgTag(repo, "base/v0.1.0", trustedPgp);
        try (TemplateSource s = source(daemon.url(repoName), Map.of(GitKeys.SUBDIRECTORY, "templates"))) {
            FetchedTemplate f = s.fetch("base", SemanticVersion.parse("0.1.0"), tmp.resolve("w"));
            assertThat(f.preVerifiedSigner()).isEqualTo(trustedPgp);
            assertThat(tmp.resolve("w/template-definition.yaml")).exists();
        }
    }

    @Test
    void versionMismatch_isRefusedWithTypedErrorAndNothingWritten() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "says 1.0.0");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.1", trustedPgp);
        Path work = tmp.resolve("w");
        try (TemplateSource s = daemonSource()) {
            assertThat(s.versions("python-dev")).extracting(Object::toString).containsExactly("1.0.1");
            assertThatThrownBy(() -> s.fetch("python-dev", SemanticVersion.parse("1.0.1"), work))
                    .isInstanceOf(TemplateValidationException.class)
                    .satisfies(e -> assertThat(((TemplateValidationException) e).violations()).singleElement()
                            .satisfies(v -> {
                                assertThat(v.pointer()).isEqualTo("/version");
                                assertThat(v.line()).isEqualTo(2);
                                assertThat(v.message()).contains("1.0.0").contains("python-dev/v1.0.1");
                            }));
            assertThat(s.describe()).as("a mismatched tag is not listed").isEmpty();
        }
        assertEmpty(work);
    }

    @Test
    void git01_unsignedAndLightweightTags_areRefusedWhenSignaturesRequired() throws Exception {
        GitCli.template(repo, "a", "a", "1.0.0", "annotated, unsigned");
        GitCli.template(repo, "b", "b", "1.0.0", "lightweight");
        git.commitAll(repo, "c");
        git.annotatedTag(repo, "a/v1.0.0");
        git.lightweightTag(repo, "b/v1.0.0");
        try (TemplateSource s = daemonSource()) {
            for (String name : List.of("a", "b")) {
                Path work = tmp.resolve("w-" + name);
                assertThatThrownBy(() -> s.fetch(name, SemanticVersion.parse("1.0.0"), work))
                        .isInstanceOf(SignatureVerificationException.class)
                        .hasMessageContaining(name + "/v1.0.0")
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.UNTRUSTED));
                assertEmpty(work);
            }
            assertThat(s.describe()).isEmpty();
        }
    }

    @Test
    void git02_tagSignedByKeyInKeyringButNotPinned_isRefused() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "d");
        GitCli.template(repo, "ssh-one", "ssh-one", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", strangerPgp);
        git.sshTag(repo, "ssh-one/v1.0.0", strangerSsh);
        try (TemplateSource s = daemonSource()) {
            for (String name : List.of("python-dev", "ssh-one")) {
                Path work = tmp.resolve("w-" + name);
                assertThatThrownBy(() -> s.fetch(name, SemanticVersion.parse("1.0.0"), work))
                        .isInstanceOf(SignatureVerificationException.class)
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID));
                // GIT-03: refused before a single file was written
                assertEmpty(work);
            }
        }
    }

    @Test
    void git02_tagSignedByAnUnpinnedKey_isRefusedEvenWhereUnsignedTagsAreAllowed() throws Exception {
        // an invalid signature is never "unsigned": a forger must not drop to the weaker rule of a local source
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "d");
        GitCli.template(repo, "ssh-one", "ssh-one", "1.0.0", "d");
        GitCli.template(repo, "plain", "plain", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", strangerPgp);
        git.sshTag(repo, "ssh-one/v1.0.0", strangerSsh);
        git.run(repo, "git", "tag", "-a", "-m", "release plain/v1.0.0", "plain/v1.0.0");
        try (TemplateSource s = unsignedFileSource()) {
            for (String name : List.of("python-dev", "ssh-one")) {
                Path work = tmp.resolve("u-" + name);
                assertThatThrownBy(() -> s.fetch(name, SemanticVersion.parse("1.0.0"), work))
                        .isInstanceOf(SignatureVerificationException.class)
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID));
                assertEmpty(work);
            }
            Path work = tmp.resolve("u-plain");
            assertThat(s.fetch("plain", SemanticVersion.parse("1.0.0"), work).name())
                    .as("an unsigned tag still passes where the source allows unsigned tags").isEqualTo("plain");
        }
    }

    @Test
    void git03_tamperedSignedTag_isRefusedBeforeAnyFileIsWritten() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        String raw = git.run(repo, "git", "cat-file", "tag", "python-dev/v1.0.0");
        String forged = raw.replace("release python-dev/v1.0.0", "release python-dev/v1.0.0 (trust me)");
        String id = git.run(repo, forged.getBytes(StandardCharsets.UTF_8), "git", "mktag").trim();
        git.run(repo, "git", "update-ref", "refs/tags/python-dev/v1.0.0", id);
        Path work = tmp.resolve("w");
        try (TemplateSource s = daemonSource()) {
            assertThatThrownBy(() -> s.fetch("python-dev", SemanticVersion.parse("1.0.0"), work))
                    .isInstanceOf(SignatureVerificationException.class)
                    .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SIGNATURE_INVALID));
        }
        assertEmpty(work);
    }

    @Test
    void sshSignatureMadeForAnotherNamespace_isNotAcceptedAsTagSignature() throws Exception {
        GitCli.template(repo, "ns", "ns", "1.0.0", "d");
        String commit = git.commitAll(repo, "c");
        String payload = "object " + commit + "\ntype commit\ntag ns/v1.0.0\ntagger Template Author <author@example.org> "
                + "1700000000 +0000\n\nrelease ns/v1.0.0\n";
        Path data = Files.writeString(tmp.resolve("payload"), payload);
        // a valid signature by the pinned key, but made for template manifests, not for Git
        git.run(tmp, "ssh-keygen", "-Y", "sign", "-f", trustedSsh.toString(), "-n", "vboxmcp-template", data.toString());
        String signed = payload + Files.readString(Path.of(data + ".sig"));
        String id = git.run(repo, signed.getBytes(StandardCharsets.UTF_8), "git", "mktag").trim();
        git.run(repo, "git", "update-ref", "refs/tags/ns/v1.0.0", id);
        Path work = tmp.resolve("w");
        try (TemplateSource s = daemonSource()) {
            assertThatThrownBy(() -> s.fetch("ns", SemanticVersion.parse("1.0.0"), work))
                    .isInstanceOf(SignatureVerificationException.class)
                    .hasMessageContaining("namespace");
        }
        assertEmpty(work);
    }

    @ParameterizedTest
    @ValueSource(strings = {".GIT", ".git", "git~1", ".git\u200c"})
    void git05_treeEntriesThatAliasDotGit_areRefusedAtFetch(String evil) throws Exception {
        writeCommitWithTree(tree -> {
            tree.append(evil, FileMode.REGULAR_FILE, blob("[core]\n\thooksPath=/tmp\n"));
        });
        try (TemplateSource s = unsignedDaemonSource()) {
            assertThatThrownBy(s::names).isInstanceOf(ArchiveException.class)
                    .hasMessageContaining("safety check")
                    .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.ARCHIVE_INVALID));
            assertThat(((GitTemplateSource) s).mirrorDir()).as("a refused first fetch leaves no mirror").doesNotExist();
        }
    }

    @Test
    void git06_submodules_areNeverFollowedAndTheTemplateIsRefused() throws Exception {
        Path other = git.init(tmp.resolve("other"));
        Files.writeString(other.resolve("x"), "x");
        String sub = git.commitAll(other, "other");
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "with a submodule");
        Files.writeString(repo.resolve(".gitmodules"), "[submodule \"python-dev/lib\"]\n\tpath = python-dev/lib\n\turl = "
                + other.toUri() + "\n");
        git.run(repo, "git", "add", "-A");
        git.run(repo, "git", "update-index", "--add", "--cacheinfo", "160000," + sub + ",python-dev/lib");
        git.run(repo, "git", "commit", "-q", "-m", "with a submodule");
        assertThat(git.run(repo, "git", "ls-tree", "-r", "HEAD")).contains("160000 commit " + sub);
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        Path work = tmp.resolve("w");
        try (TemplateSource s = daemonSource()) {
            assertThatThrownBy(() -> s.fetch("python-dev", SemanticVersion.parse("1.0.0"), work))
                    .isInstanceOf(ArchiveException.class).hasMessageContaining("submodule");
        }
        assertEmpty(work);
    }

    @Test
    void git04_symlinks_areRefusedAndNothingWritten() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "with a link");
        Files.createSymbolicLink(repo.resolve("python-dev/passwd"), Path.of("/etc/passwd"));
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        Path work = tmp.resolve("w");
        try (TemplateSource s = daemonSource()) {
            assertThatThrownBy(() -> s.fetch("python-dev", SemanticVersion.parse("1.0.0"), work))
                    .isInstanceOf(ArchiveException.class).hasMessageContaining("symbolic link");
        }
        assertEmpty(work);
    }

    /**
     * CVE-2023-4759's shape: a symlink {@code A} to the repository's hooks beside a directory {@code a/} holding a
     * hook, so that a checkout on a case-insensitive file system writes the hook through the link. Built with the real
     * git on a case-sensitive file system, signed by the pinned key; and the same collision without a link.
     */
    @Test
    void fetch_caseCollidingTreeWithSymlink_isRefusedAndNothingWrittenAnywhere_GIT04() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "cve-2023-4759");
        Path t = repo.resolve("python-dev");
        Files.createSymbolicLink(t.resolve("A"), Path.of("../.git/hooks"));
        Files.createDirectories(t.resolve("a"));
        Files.writeString(t.resolve("a/post-checkout"), "#!/bin/sh\ntouch /tmp/pwned-by-vboxmcp-git04\n");
        GitCli.template(repo, "ssh-one", "ssh-one", "1.0.0", "case only");
        Files.writeString(repo.resolve("ssh-one/Setup.sh"), "echo upper\n");
        Files.writeString(repo.resolve("ssh-one/setup.sh"), "echo lower\n");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        git.gpgTag(repo, "ssh-one/v1.0.0", trustedPgp);
        assertThat(git.run(repo, "git", "ls-tree", "-r", "HEAD", "python-dev")).contains("120000").contains("python-dev/A")
                .contains("python-dev/a/post-checkout");
        try (TemplateSource s = daemonSource()) {
            Path work = tmp.resolve("w");
            // refused at the fetch itself: fsck with the macOS/Windows rules sees names that fold together
            assertThatThrownBy(() -> s.fetch("python-dev", SemanticVersion.parse("1.0.0"), work))
                    .isInstanceOfSatisfying(ArchiveException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.ARCHIVE_INVALID))
                    .hasMessageContaining("duplicate entry names");
            assertEmpty(work);
            Path work2 = tmp.resolve("w2");
            assertThatThrownBy(() -> s.fetch("ssh-one", SemanticVersion.parse("1.0.0"), work2))
                    .isInstanceOf(ArchiveException.class).hasMessageContaining("duplicate entry names");
            assertEmpty(work2);
        }
        assertThat(Path.of("/tmp/pwned-by-vboxmcp-git04")).doesNotExist();
        // the mirror is bare: no worktree, no hook was written into it
        try (var files = Files.walk(context.home())) {
            assertThat(files.map(Path::toString).toList()).noneMatch(f -> f.endsWith("post-checkout"))
                    .noneMatch(f -> f.contains("/hooks/") && !f.endsWith(".sample"));
        }
    }

    @Test
    void git07_tagMovedToAnotherCommitSinceLastSeen_isRefused() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "good");
        git.commitAll(repo, "good");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        try (TemplateSource s = daemonSource()) {
            s.fetch("python-dev", SemanticVersion.parse("1.0.0"), tmp.resolve("w1"));
        }
        // the publisher's key signs a moved tag (force-push), as an attacker with the key or a rollback would
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "replaced");
        git.commitAll(repo, "replaced");
        git.run(repo, "git", "-c", "user.signingkey=" + trustedPgp, "tag", "-f", "-s", "-m", "moved", "python-dev/v1.0.0");
        Path work = tmp.resolve("w2");
        try (TemplateSource s = daemonSource()) {
            assertThatThrownBy(() -> s.fetch("python-dev", SemanticVersion.parse("1.0.0"), work))
                    .isInstanceOf(VboxmcpException.class)
                    .hasMessageContaining("last accepted")
                    .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.CONFLICT));
        }
        assertEmpty(work);
    }

    @Test
    void tagDeletedUpstream_isReported_notSilentlyReplacedByAnOlderVersion_IDX08() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "old");
        git.commitAll(repo, "old");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        GitCli.template(repo, "python-dev", "python-dev", "1.1.0", "new");
        git.commitAll(repo, "new");
        git.gpgTag(repo, "python-dev/v1.1.0", trustedPgp);
        try (TemplateSource s = daemonSource()) {
            s.fetch("python-dev", SemanticVersion.parse("1.1.0"), tmp.resolve("w1"));
        }
        assertThat(context.infoMessages()).noneMatch(m -> m.contains("deleted upstream"));
        git.run(repo, "git", "tag", "-d", "python-dev/v1.1.0");
        Path work = tmp.resolve("w2");
        try (TemplateSource s = daemonSource()) {
            // the older version is still offered, but the sync says which accepted version vanished
            assertThat(s.versions("python-dev")).extracting(Object::toString).containsExactly("1.0.0");
            assertThat(context.infoMessages()).anySatisfy(m -> assertThat(m)
                    .contains("warning:", "python-dev/v1.1.0", "deleted upstream", "IDX-08"));
            assertThatThrownBy(() -> s.fetch("python-dev", SemanticVersion.parse("1.1.0"), work))
                    .isInstanceOfSatisfying(io.vboxmcp.TemplateNotFoundException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_FOUND);
                        assertThat(e.getMessage()).contains("python-dev/v1.1.0", "deleted upstream");
                    });
        }
        assertEmpty(work);
    }

    @Test
    void git08_tagObjectUnderAnotherNameOrPointingToATree_isRefused() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "2.0.0", "d");
        GitCli.template(repo, "tree-tag", "tree-tag", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        // the genuinely signed 1.0.0 tag object republished as 2.0.0
        String obj = git.run(repo, "git", "rev-parse", "refs/tags/python-dev/v1.0.0").trim();
        git.run(repo, "git", "update-ref", "refs/tags/python-dev/v2.0.0", obj);
        git.run(repo, "git", "-c", "user.signingkey=" + trustedPgp, "tag", "-s", "-m", "a tree", "tree-tag/v1.0.0", "HEAD^{tree}");
        try (TemplateSource s = daemonSource()) {
            assertThatThrownBy(() -> s.fetch("python-dev", SemanticVersion.parse("2.0.0"), tmp.resolve("w1")))
                    .isInstanceOf(SignatureVerificationException.class).hasMessageContaining("named 'python-dev/v1.0.0'");
            assertThatThrownBy(() -> s.fetch("tree-tag", SemanticVersion.parse("1.0.0"), tmp.resolve("w2")))
                    .isInstanceOf(SignatureVerificationException.class).hasMessageContaining("tree, not a commit");
        }
        assertEmpty(tmp.resolve("w1"));
        assertEmpty(tmp.resolve("w2"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"unsorted", "bad-mode"})
    void git09_malformedObjects_areRefusedAtFetch(String kind) throws Exception {
        try (Repository r = open(); ObjectInserter ins = r.newObjectInserter()) {
            ObjectId yaml = ins.insert(Constants.OBJ_BLOB, yaml("python-dev", "1.0.0"));
            ObjectId other = ins.insert(Constants.OBJ_BLOB, "x".getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            if (kind.equals("unsorted")) {
                entry(raw, "100644", "template-definition.yaml", yaml);
                entry(raw, "100644", "a-file", other);
            } else {
                entry(raw, "100644", "template-definition.yaml", yaml);
                entry(raw, "100777", "z-file", other);
            }
            ObjectId tree = ins.insert(Constants.OBJ_TREE, raw.toByteArray());
            commitAndTag(r, ins, tree, "v1.0.0");
        }
        try (TemplateSource s = unsignedDaemonSource()) {
            assertThatThrownBy(s::names).isInstanceOf(ArchiveException.class)
                    .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.ARCHIVE_INVALID));
        }
        // nothing left behind: no half-written pack, temporary mirror or lock file, and no mirror holding the object
        try (var files = Files.walk(context.home())) {
            assertThat(files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList())
                    .noneMatch(n -> n.endsWith(".pack") || n.endsWith(".idx") || n.startsWith("incoming_")
                            || n.endsWith(".tmp") || n.contains("mirror.tmp-") || n.endsWith(".lock"));
        }
        try (var dirs = Files.walk(context.home())) {
            assertThat(dirs.map(Path::toString).toList()).noneMatch(n -> n.contains("mirror.tmp-"));
        }
    }

    @Test
    void git11_filtersHooksAndLfs_neverApply_blobsAreWrittenVerbatim() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "attributes");
        Files.writeString(repo.resolve("python-dev/.gitattributes"), "* filter=evil\n*.sh text eol=crlf\n");
        Files.createDirectories(repo.resolve("python-dev/hooks"));
        Path marker = tmp.resolve("hook-ran");
        Files.writeString(repo.resolve("python-dev/hooks/post-checkout"), "#!/bin/sh\ntouch " + marker + "\n");
        repo.resolve("python-dev/hooks/post-checkout").toFile().setExecutable(true);
        Files.writeString(repo.resolve("python-dev/run.sh"), "echo a\n");
        git.run(repo, "git", "config", "filter.evil.smudge", "touch " + marker + "; cat");
        git.run(repo, "git", "config", "filter.evil.clean", "cat");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        GitCli.template(repo, "lfs", "lfs", "1.0.0", "lfs");
        Files.writeString(repo.resolve("lfs/disk.img"), "version https://git-lfs.github.com/spec/v1\noid sha256:"
                + "0".repeat(64) + "\nsize 12345\n");
        git.commitAll(repo, "lfs");
        git.gpgTag(repo, "lfs/v1.0.0", trustedPgp);
        try (TemplateSource s = daemonSource()) {
            Path work = tmp.resolve("w");
            s.fetch("python-dev", SemanticVersion.parse("1.0.0"), work);
            assertThat(Files.readString(work.resolve("run.sh"))).as("no eol conversion").isEqualTo("echo a\n");
            assertThat(Files.readString(work.resolve(".gitattributes"))).contains("filter=evil");
            assertThat(marker).as("no filter or hook ran").doesNotExist();
            Path lfsWork = tmp.resolve("w-lfs");
            assertThatThrownBy(() -> s.fetch("lfs", SemanticVersion.parse("1.0.0"), lfsWork))
                    .isInstanceOf(ArchiveException.class).hasMessageContaining("LFS");
            assertEmpty(lfsWork);
        }
    }

    @Test
    void offlineMode_servesFromTheMirrorAndSaysSo() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        String unreachable = "git://127.0.0.1:" + GitDaemon.freePort() + "/" + repoName;
        Map<String, String> offline = Map.of(GitKeys.OFFLINE, "true");
        try (TemplateSource s = source(unreachable, offline)) {
            assertThatThrownBy(s::names).isInstanceOf(VboxmcpException.class).hasMessageContaining("no local mirror")
                    .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE));
        }
        try (TemplateSource s = daemonSource()) {
            assertThat(s.names()).containsExactly("python-dev");
        }
        // the same URL, now offline: no network, served from the mirror
        try (TemplateSource s = source(daemon.url(repoName), offline)) {
            GitCli.template(repo, "python-dev", "python-dev", "1.1.0", "newer, not fetched");
            git.commitAll(repo, "newer");
            git.gpgTag(repo, "python-dev/v1.1.0", trustedPgp);
            assertThat(s.versions("python-dev")).extracting(Object::toString).containsExactly("1.0.0");
            s.fetch("python-dev", SemanticVersion.parse("1.0.0"), tmp.resolve("w"));
            assertThat(context.infoMessages()).anySatisfy(m -> assertThat(m).contains("offline").contains("local mirror"));
        }
    }

    @Test
    void interruptedFetch_leavesTheOldMirrorUsable() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        try (CuttingProxy proxy = new CuttingProxy(daemon.port)) {
            String url = "git://127.0.0.1:" + proxy.port + "/" + repoName;
            Map<String, String> always = Map.of(GitKeys.REFRESH_SECONDS, "0");
            try (TemplateSource s = source(url, always)) {
                assertThat(s.versions("python-dev")).hasSize(1);
            }
            // a big, incompressible new version whose download is cut half-way
            GitCli.template(repo, "python-dev", "python-dev", "2.0.0", "big");
            byte[] noise = new byte[3 << 20];
            new java.util.Random(7).nextBytes(noise);
            Files.write(repo.resolve("python-dev/disk.bin"), noise);
            git.commitAll(repo, "big");
            git.gpgTag(repo, "python-dev/v2.0.0", trustedPgp);
            proxy.cutAfterBytes = 256 * 1024;
            try (TemplateSource s = source(url, always)) {
                assertThatThrownBy(s::names).isInstanceOf(VboxmcpException.class)
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.SOURCE_UNAVAILABLE));
            }
            assertThat(proxy.cuts.get()).as("the download was really cut").isPositive();
            try (TemplateSource s = source(url, Map.of(GitKeys.OFFLINE, "true"))) {
                assertThat(s.versions("python-dev")).extracting(Object::toString).containsExactly("1.0.0");
                s.fetch("python-dev", SemanticVersion.parse("1.0.0"), tmp.resolve("w-old"));
                assertThat(tmp.resolve("w-old/template-definition.yaml")).exists();
            }
            proxy.cutAfterBytes = Long.MAX_VALUE;
            try (TemplateSource s = source(url, always)) {
                assertThat(s.versions("python-dev")).extracting(Object::toString).containsExactly("1.0.0", "2.0.0");
                s.fetch("python-dev", SemanticVersion.parse("2.0.0"), tmp.resolve("w-new"));
                assertThat(Files.size(tmp.resolve("w-new/disk.bin"))).isEqualTo(noise.length);
            }
        }
    }

    @Test
    void tricklingServer_isCutByTheTotalTimeout_andTheMirrorIsUnchanged_GIT12() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        try (CuttingProxy proxy = new CuttingProxy(daemon.port)) {
            String url = "git://127.0.0.1:" + proxy.port + "/" + repoName;
            Map<String, String> always = Map.of(GitKeys.REFRESH_SECONDS, "0");
            try (TemplateSource s = source(url, always)) {
                assertThat(s.versions("python-dev")).hasSize(1);
            }
            GitCli.template(repo, "python-dev", "python-dev", "2.0.0", "newer");
            git.commitAll(repo, "newer");
            git.gpgTag(repo, "python-dev/v2.0.0", trustedPgp);
            // 16 bytes every 100 ms: always under the 60 s read timeout, never done within the 2 s total
            proxy.trickleDelayMillis = 100;
            long start = System.nanoTime();
            try (TemplateSource s = source(url, Map.of(GitKeys.REFRESH_SECONDS, "0",
                    GitKeys.FETCH_TOTAL_TIMEOUT_SECONDS, "2"))) {
                assertThatThrownBy(s::names).isInstanceOf(VboxmcpException.class)
                        .hasMessageContaining("took longer than 2 s in total")
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.TIMEOUT));
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
            try (TemplateSource s = source(url, Map.of(GitKeys.OFFLINE, "true"))) {
                assertThat(s.versions("python-dev")).extracting(Object::toString).containsExactly("1.0.0");
            }
        }
    }

    @Test
    void endlessPack_isCutByTheByteCap_andTheMirrorIsUnchanged_GIT12() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        try (CuttingProxy proxy = new CuttingProxy(daemon.port)) {
            String url = "git://127.0.0.1:" + proxy.port + "/" + repoName;
            Map<String, String> capped = Map.of(GitKeys.REFRESH_SECONDS, "0", GitKeys.MAX_FETCH_BYTES, Long.toString(1L << 20));
            try (TemplateSource s = source(url, capped)) {
                assertThat(s.versions("python-dev")).hasSize(1);
            }
            GitCli.template(repo, "python-dev", "python-dev", "2.0.0", "big");
            byte[] noise = new byte[6 << 20];
            new java.util.Random(11).nextBytes(noise);
            Files.write(repo.resolve("python-dev/disk.bin"), noise);
            git.commitAll(repo, "big");
            git.gpgTag(repo, "python-dev/v2.0.0", trustedPgp);
            // about 1.6 MB/s, so the watchdog sees the pack pass 1 MiB long before the 6 MiB are in
            proxy.trickleChunk = 8192;
            proxy.trickleDelayMillis = 5;
            try (TemplateSource s = source(url, capped)) {
                assertThatThrownBy(s::names).isInstanceOf(VboxmcpException.class)
                        .hasMessageContaining("more than 1048576 bytes")
                        .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.RESOURCE_LIMIT));
            }
            try (TemplateSource s = source(url, Map.of(GitKeys.OFFLINE, "true"))) {
                assertThat(s.versions("python-dev")).extracting(Object::toString).containsExactly("1.0.0");
            }
            try (java.util.stream.Stream<Path> left = Files.walk(tmp)) {
                assertThat(left.filter(p -> p.getFileName().toString().startsWith("incoming_")))
                        .as("no partial pack left").isEmpty();
            }
        }
    }

    @Test
    void secondSync_isIncrementalAndPicksUpNewTags() throws Exception {
        GitCli.template(repo, "python-dev", "python-dev", "1.0.0", "d");
        git.commitAll(repo, "c");
        git.gpgTag(repo, "python-dev/v1.0.0", trustedPgp);
        try (TemplateSource s = source(daemon.url(repoName), Map.of(GitKeys.REFRESH_SECONDS, "0"))) {
            assertThat(s.versions("python-dev")).hasSize(1);
            GitCli.template(repo, "python-dev", "python-dev", "1.0.1", "d");
            git.commitAll(repo, "c2");
            git.gpgTag(repo, "python-dev/v1.0.1", trustedPgp);
            assertThat(s.versions("python-dev")).extracting(Object::toString).containsExactly("1.0.0", "1.0.1");
            assertThat(context.events).anySatisfy(e -> assertThat(e.kind()).isEqualTo(ProgressEvent.Kind.STEP_FINISHED));
        }
    }

    @Test
    void badOptions_areRefusedWithTypedErrors() throws Exception {
        assertThatThrownBy(() -> source(daemon.url(repoName), Map.of("ofline", "true")))
                .isInstanceOf(VboxmcpException.class).hasMessageContaining("unknown option 'ofline'");
        assertThatThrownBy(() -> source("https://user:secret@example.org/t.git", Map.of()))
                .isInstanceOf(VboxmcpException.class).hasMessageContaining("password")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret"));
        assertThatThrownBy(() -> source("http://example.org/t.git", Map.of()))
                .isInstanceOf(VboxmcpException.class)
                .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.POLICY_VIOLATION));
        assertThatThrownBy(() -> source(daemon.url(repoName), Map.of(GitKeys.SUBDIRECTORY, "../x")))
                .isInstanceOf(VboxmcpException.class)
                .satisfies(e -> assertThat(((VboxmcpException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void factory_claimsGitUrisOnly() {
        GitTemplateSourceFactory f = new GitTemplateSourceFactory();
        assertThat(f.id()).isEqualTo("git");
        assertThat(f.supports(URI.create("https://example.org/templates.git"))).isTrue();
        assertThat(f.supports(URI.create("ssh://git@example.org/templates"))).isTrue();
        assertThat(f.supports(URI.create("git://example.org/templates"))).isTrue();
        assertThat(f.supports(URI.create("file:///srv/templates.git"))).isTrue();
        assertThat(f.supports(URI.create("/srv/templates.git"))).isTrue();
        assertThat(f.supports(URI.create("https://example.org/registry/index.json"))).isFalse();
        assertThat(f.supports(URI.create("file:///srv/plain-folder"))).isFalse();
        assertThat(java.util.ServiceLoader.load(io.vboxmcp.spi.TemplateSourceFactory.class).stream()
                .anyMatch(p -> p.type() == GitTemplateSourceFactory.class)).isTrue();
    }

    // ------------------------------------------------------------------ helpers for hand-made objects

    private TemplateSource unsignedDaemonSource() throws VboxmcpException {
        return source(daemon.url(repoName), Map.of(GitKeys.REQUIRE_SIGNED_TAGS, "false"));
    }

    private Repository open() throws IOException {
        return new FileRepositoryBuilder().setGitDir(repo.resolve(".git").toFile()).setMustExist(true).build();
    }

    private interface TreeBody {
        void fill(TreeFormatter tree) throws IOException;
    }

    private ObjectInserter pendingInserter;

    private ObjectId blob(String content) throws IOException {
        return pendingInserter.insert(Constants.OBJ_BLOB, content.getBytes(StandardCharsets.UTF_8));
    }

    private void writeCommitWithTree(TreeBody body) throws IOException {
        try (Repository r = open(); ObjectInserter ins = r.newObjectInserter()) {
            pendingInserter = ins;
            TreeFormatter tree = new TreeFormatter();
            body.fill(tree);
            tree.append("template-definition.yaml", FileMode.REGULAR_FILE,
                    ins.insert(Constants.OBJ_BLOB, yaml("python-dev", "1.0.0")));
            ObjectId treeId = ins.insert(tree);
            commitAndTag(r, ins, treeId, "v1.0.0");
        }
    }

    private static byte[] yaml(String name, String version) {
        return ("name: " + name + "\nversion: " + version + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void entry(ByteArrayOutputStream raw, String mode, String name, ObjectId id) throws IOException {
        raw.write((mode + " " + name).getBytes(StandardCharsets.UTF_8));
        raw.write(0);
        byte[] b = new byte[20];
        id.copyRawTo(b, 0);
        raw.write(b);
    }

    private static void commitAndTag(Repository r, ObjectInserter ins, ObjectId tree, String tag) throws IOException {
        CommitBuilder c = new CommitBuilder();
        c.setTreeId(tree);
        PersonIdent who = new PersonIdent("Mallory", "mallory@example.org");
        c.setAuthor(who);
        c.setCommitter(who);
        c.setMessage("hand-made\n");
        ObjectId commit = ins.insert(c);
        ins.flush();
        RefUpdate u = r.updateRef(Constants.R_TAGS + tag);
        u.setNewObjectId(commit);
        u.setForceUpdate(true);
        assertThat(u.update()).isIn(RefUpdate.Result.NEW, RefUpdate.Result.FORCED);
        RefUpdate head = r.updateRef("refs/heads/main");
        head.setNewObjectId(commit);
        head.setForceUpdate(true);
        head.update();
    }
}
