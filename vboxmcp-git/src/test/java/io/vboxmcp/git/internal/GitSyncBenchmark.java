package io.vboxmcp.git.internal;

import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.git.GitKeys;
import io.vboxmcp.spi.TemplateSource;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TagBuilder;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Not part of the test run. A repository of 1,000 templates (10 commits of 100 templates, one annotated tag per
 * template) served by the real {@code git daemon}; compares our first sync with {@code git clone --mirror} of the
 * same repository, and measures a no-op re-sync. Run it with
 * {@code mvn -q -o test-compile exec:java -pl vboxmcp-git -Dexec.classpathScope=test
 * -Dexec.mainClass=io.vboxmcp.git.internal.GitSyncBenchmark}.
 */
public final class GitSyncBenchmark {
    private static final int TEMPLATES = 1000;
    private static final int COMMITS = 10;

    public static void main(String[] args) throws Exception {
        Path root = Files.createTempDirectory("git-bench");
        GitCli git = new GitCli(root.resolve("home"));
        Path repos = Files.createDirectories(root.resolve("repos"));
        Path repo = repos.resolve("bench.git");
        build(repo);
        try (GitDaemon daemon = new GitDaemon(repos)) {
            String url = daemon.url("bench.git");
            // warm the JVM (class loading, JIT) on the same work, outside the measurements
            for (int i = 0; i < 2; i++) {
                firstSync(root.resolve("warm-" + i), url);
            }
            List<Long> clone = new ArrayList<>();
            List<Long> first = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Path target = root.resolve("clone-" + i + ".git");
                long t0 = System.nanoTime();
                git.run(root, "git", "clone", "-q", "--mirror", url, target.toString());
                clone.add(System.nanoTime() - t0);
                first.add(firstSync(root.resolve("first-" + i), url));
            }
            Path cached = root.resolve("first-0");
            List<Long> noop = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                StubProviderContext ctx = new StubProviderContext(cached);
                try (TemplateSource s = source(ctx, url)) {
                    long t0 = System.nanoTime();
                    s.names();
                    noop.add(System.nanoTime() - t0);
                }
            }
            long cloneMs = median(clone) / 1_000_000;
            long firstMs = median(first) / 1_000_000;
            long noopMs = median(noop) / 1_000_000;
            System.out.printf("templates=%d tags=%d commits=%d%n", TEMPLATES, TEMPLATES, COMMITS);
            System.out.printf("git clone --mirror (median of 5): %d ms%n", cloneMs);
            System.out.printf("first sync, GitTemplateSource (median of 5): %d ms%n", firstMs);
            System.out.printf("ratio first sync / clone --mirror: %.2f (target <= 1.5)%n", (double) firstMs / cloneMs);
            System.out.printf("no-op re-sync (median of 10): %d ms (target < 300)%n", noopMs);
        } finally {
            git.close();
            GitCli.delete(root);
        }
    }

    private static TemplateSource source(StubProviderContext ctx, String url) throws Exception {
        return new GitTemplateSourceFactory().create(new SourceConfig("bench", URI.create(url), 0,
                Map.of(GitKeys.REQUIRE_SIGNED_TAGS, "false")), ctx);
    }

    private static long firstSync(Path home, String url) throws Exception {
        StubProviderContext ctx = new StubProviderContext(home);
        try (TemplateSource s = source(ctx, url)) {
            long t0 = System.nanoTime();
            List<String> names = s.names();
            long t = System.nanoTime() - t0;
            if (names.size() != TEMPLATES) throw new IllegalStateException("expected " + TEMPLATES + " names, got " + names.size());
            return t;
        }
    }

    private static long median(List<Long> xs) {
        long[] a = xs.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(a);
        return a[a.length / 2];
    }

    /** Builds the repository in-process (JGit) so that setup takes seconds, not minutes of process spawns. */
    private static void build(Path dir) throws Exception {
        try (Repository r = FileRepositoryBuilder.create(dir.toFile())) {
            r.create(true);
            PersonIdent who = new PersonIdent("Bench", "bench@example.org");
            TreeMap<String, ObjectId> folders = new TreeMap<>();
            ObjectId parent = null;
            try (ObjectInserter ins = r.newObjectInserter()) {
                List<String[]> tags = new ArrayList<>();
                for (int c = 0; c < COMMITS; c++) {
                    for (int i = c * (TEMPLATES / COMMITS); i < (c + 1) * (TEMPLATES / COMMITS); i++) {
                        String name = String.format("tpl-%04d", i);
                        String yaml = "name: " + name + "\nversion: 1.0.0\ndescription: benchmark template " + i
                                + "\nbase_image: debian:12\nmin_ram: 512\nmetadata:\n  tags: [bench, n" + (i % 17) + "]\n";
                        String setup = "#!/bin/sh\nset -eu\necho provisioning " + name + "\napt-get install -y pkg-" + i + "\n";
                        String readme = "# " + name + "\n\nA template used by the Git source benchmark; number " + i + ".\n";
                        TreeFormatter t = new TreeFormatter();
                        t.append("README.md", FileMode.REGULAR_FILE, blob(ins, readme));
                        t.append("setup.sh", FileMode.EXECUTABLE_FILE, blob(ins, setup));
                        t.append("template-definition.yaml", FileMode.REGULAR_FILE, blob(ins, yaml));
                        folders.put(name, ins.insert(t));
                    }
                    TreeFormatter rootTree = new TreeFormatter();
                    folders.forEach((n, id) -> rootTree.append(n, FileMode.TREE, id));
                    CommitBuilder cb = new CommitBuilder();
                    cb.setTreeId(ins.insert(rootTree));
                    if (parent != null) cb.setParentId(parent);
                    cb.setAuthor(who);
                    cb.setCommitter(who);
                    cb.setMessage("templates batch " + c + "\n");
                    parent = ins.insert(cb);
                    for (int i = c * (TEMPLATES / COMMITS); i < (c + 1) * (TEMPLATES / COMMITS); i++) {
                        String tagName = String.format("tpl-%04d", i) + "/v1.0.0";
                        TagBuilder tb = new TagBuilder();
                        tb.setTag(tagName);
                        tb.setObjectId(parent, Constants.OBJ_COMMIT);
                        tb.setTagger(who);
                        tb.setMessage("release " + tagName + "\n");
                        tags.add(new String[] {tagName, ins.insert(tb).name()});
                    }
                }
                ins.flush();
                for (String[] t : tags) {
                    RefUpdate u = r.updateRef(Constants.R_TAGS + t[0]);
                    u.setNewObjectId(ObjectId.fromString(t[1]));
                    u.update();
                }
                RefUpdate head = r.updateRef("refs/heads/main");
                head.setNewObjectId(parent);
                head.update();
                r.updateRef(Constants.HEAD).link("refs/heads/main");
            }
        }
    }

    private static ObjectId blob(ObjectInserter ins, String s) throws java.io.IOException {
        return ins.insert(Constants.OBJ_BLOB, s.getBytes(StandardCharsets.UTF_8));
    }
}
