package io.vboxmcp.oci.internal;

import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmManager;
import io.vboxmcp.oci.OciIndexPublisher;
import io.vboxmcp.oci.OciKeys;
import io.vboxmcp.testkit.http.DistributionRegistry;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A publisher's signed index in the real distribution registry, as the index and delegation registry tests set it
 * up: the registry on 127.0.0.1, a work folder, the template author's, root and index keys ({@code ssh-keygen}),
 * web-demo variants published signed to one namespace, the publisher's tools; then a root, metadata and indexes
 * signed and pushed, and consumer managers of source {@code market} with the author's key pinned.
 */
final class SignedMarket implements AutoCloseable {
    /** The id every consumer gives the source. */
    static final String SOURCE = "market";

    /** A template to publish: web-demo named {@code name} at {@code version}, description led by {@code variant}. */
    record Template(String name, String version, String variant) { }

    final DistributionRegistry registry;
    final String namespace;
    final Path work;
    final IndexFixture keys;
    final Path templateKey;
    final IndexFixture.Key rootKey;
    final IndexFixture.Key indexKey;
    final OciIndexPublisher tools;
    /** Where {@link #pushRoot} writes the root a consumer bootstraps from ({@link OciKeys#OPTION_ROOT}). */
    final Path rootFile;

    private SignedMarket(DistributionRegistry registry, String namespace, Path work) throws Exception {
        this.registry = registry;
        this.namespace = namespace;
        this.work = work;
        this.keys = new IndexFixture(work);
        this.templateKey = Templates.sshKey(work, "author");
        this.rootKey = keys.key("root");
        this.indexKey = keys.key("index");
        this.tools = OciIndexPublisher.open(registry.oci(namespace), Map.of(), k -> Optional.empty(),
                IndexFixture.verifiers(work));
        this.rootFile = work.resolve("root.json");
    }

    /**
     * Starts the registry (the test is skipped without docker-registry), makes the keys and publishes
     * {@code templates}, each signed by the author's key, to {@code namespace}.
     */
    static SignedMarket start(String namespace, String workPrefix, List<Template> templates) throws Exception {
        assumeTrue(DistributionRegistry.available(), "docker-registry is not installed (scripts/install-deps.sh)");
        DistributionRegistry registry = DistributionRegistry.start(null, null);
        try {
            SignedMarket m = new SignedMarket(registry, namespace, Files.createTempDirectory(workPrefix));
            try (VmManager publisher = VmManager.builder().home(m.work.resolve("pub")).build()) {
                for (Template t : templates) {
                    Path folder = Templates.webDemo(m.work, t.name(), t.version(), t.variant());
                    publisher.publisher().publish(Templates.signedPackage(publisher, folder, t.name(), t.version(),
                            m.templateKey, m.work.resolve(t.name() + "-" + t.version() + ".tar.gz")),
                            registry.oci(namespace));
                }
            }
            return m;
        } catch (Exception | Error e) {
            registry.close();
            throw e;
        }
    }

    /** @return the detached signature file {@code ssh-keygen} writes beside {@code doc} */
    static Path sig(Path doc) {
        return doc.resolveSibling(doc.getFileName() + ".sig");
    }

    /** Writes {@code json} to {@link #rootFile}, signs it with the root key and pushes it as the root. */
    void pushRoot(String json) throws IOException, InterruptedException, VboxmcpException {
        pushSigned(rootFile.getFileName().toString(), json.getBytes(java.nio.charset.StandardCharsets.UTF_8), rootKey,
                true);
    }

    /** Writes {@code doc} to {@code work/file}, signs it with {@code signer} and pushes it (as the root or not). */
    Path pushSigned(String file, byte[] doc, IndexFixture.Key signer, boolean root)
            throws IOException, InterruptedException, VboxmcpException {
        Path p = work.resolve(file);
        Files.write(p, doc);
        Templates.sshSign(signer.file(), p, OciIndexPublisher.SIGNATURE_NAMESPACE);
        tools.push(p, List.of(sig(p)), root);
        return p;
    }

    /**
     * @return a manager in {@code home} whose source {@code market} is {@code uri} bootstrapped from
     *         {@link #rootFile}, with the author's key pinned and {@code properties} set
     */
    VmManager consumer(Path home, URI uri, Map<String, String> properties) throws VboxmcpException {
        VmManager.Builder b = VmManager.builder().home(home)
                .addSource(new SourceConfig(SOURCE, uri, 0, Map.of(OciKeys.OPTION_ROOT, rootFile.toString())));
        properties.forEach(b::property);
        VmManager m = b.build();
        if (m.trust().list(SOURCE).isEmpty()) {
            m.trust().add(SOURCE, templateKey.resolveSibling("author.pub"));
        }
        return m;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        registry.close();
        try (java.util.stream.Stream<Path> all = Files.walk(work)) {  // nothing left in /tmp
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
