package io.vboxmcp.oci.internal;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.VmManager;
import io.vboxmcp.oci.OciIndexPublisher;
import io.vboxmcp.oci.OciKeys;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.testkit.TemplateSourceCompatibilityKit;
import io.vboxmcp.testkit.http.DistributionRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The OCI source against the template-source kit, on the real distribution registry 2.8 on 127.0.0.1 (one per
 * class, one namespace per check). Versions are published as an author does ({@code publisher().publish}: manifest,
 * reproducible package, signatures as referrers in the fallback tag), and each publish is followed by a new signed
 * index (root and index keys made and signed by {@code ssh-keygen}): the source runs with a bootstrap root, so it
 * lists what the index lists, fetches by the digest the index names and delivers the package for core to verify
 * before extracting. Offline means the registry's port no longer answers: the trusted index still lists versions,
 * a fetch fails typed (the source keeps no packages; core's local repository holds what was installed).
 */
class OciTemplateSourceCompatibilityTest extends TemplateSourceCompatibilityKit {
    @TempDir
    static Path shared;
    static DistributionRegistry registry;
    static VmManager author;
    static IndexFixture.Key indexKey;
    static Path rootFile;
    private OciIndexPublisher index;
    private long indexVersion;
    private URI origin;

    @BeforeAll
    static void registryAndKeys() throws Exception {
        assumeTrue(DistributionRegistry.available(), "docker-registry is not installed (scripts/install-deps.sh)");
        registry = DistributionRegistry.start(null, null);
        author = VmManager.builder().home(shared.resolve("author")).build();
        IndexFixture fx = new IndexFixture(shared);
        IndexFixture.Key rootKey = fx.key("root");
        indexKey = fx.key("index");
        rootFile = shared.resolve("root.json");
        Files.writeString(rootFile, IndexFixture.root(1, Instant.now().plus(Duration.ofDays(365)), List.of(rootKey), 1,
                List.of(indexKey), 1));
        Templates.sshSign(rootKey.file(), rootFile, OciIndexPublisher.SIGNATURE_NAMESPACE);
    }

    @AfterAll
    static void stop() throws Exception {
        if (author != null) {
            author.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    /** @return this check's namespace on the shared registry (the kit's per-check folder name) */
    private URI namespace() {
        if (origin == null) {
            origin = registry.oci(work.getFileName().toString().toLowerCase(java.util.Locale.ROOT));
        }
        return origin;
    }

    @Override
    protected void publish(String name, String version, Map<String, String> files) throws Exception {
        Path dir = Files.createDirectories(work.resolve("published").resolve(name + "-" + version));
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path f = dir.resolve(e.getKey());
            Files.createDirectories(f.getParent());
            Files.writeString(f, e.getValue());
        }
        // a registry takes only a consistent package: the manifest is written for the files (over the kit's
        // placeholder, if any) as an author does before packing; a signature file beside it travels as a referrer
        author.publisher().writeManifest(dir, name, SemanticVersion.parse(version));
        author.publisher().publish(dir, namespace());
        pushIndex();
    }

    /** Signs and pushes a new index listing what the namespace holds now (the root first, once). */
    private void pushIndex() throws Exception {
        if (index == null) {
            index = OciIndexPublisher.open(namespace(), Map.of(), k -> Optional.empty(), IndexFixture.verifiers(shared));
            index.push(rootFile, List.of(shared.resolve("root.json.sig")), true);
        }
        Path idx = work.resolve("index-" + ++indexVersion + ".json");
        Files.write(idx, index.build(indexVersion, Instant.now().plus(Duration.ofDays(7))));
        Templates.sshSign(indexKey.file(), idx, OciIndexPublisher.SIGNATURE_NAMESPACE);
        index.push(idx, List.of(idx.resolveSibling(idx.getFileName() + ".sig")), false);
    }

    @Override
    protected TemplateSource createSource(ProviderContext context) throws Exception {
        return new OciTemplateSourceFactory().create(new SourceConfig(sourceId(), namespace(), 0,
                Map.of(OciKeys.OPTION_ROOT, rootFile.toString())), context);
    }

    @Override
    protected void goOffline(StubProviderContext context) throws Exception {
        // the registry serves the other checks; this one's sources now point at a port nothing listens on
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        origin = URI.create("oci://127.0.0.1:" + dead + namespace().getPath());
    }

    @Override
    protected boolean fetchesOffline() {
        return false;
    }
}
