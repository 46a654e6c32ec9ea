package io.vboxmcp.testkit;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateNotFoundException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.TemplateSource;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.trust.TemplatePublisher;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The contract every {@link TemplateSource} must meet (folder, Git, OCI registry), as
 * {@link HypervisorDriverCompatibilityKit} is for drivers: versions listed ascending, fetch delivering exactly the
 * published files into the caller's folder (a private copy: what core verifies is what it reads), the manifest and
 * the detached signature delivered with them so core can verify before it reads anything, typed refusal of unknown
 * versions and of bad names with nothing written, and work from what was synced once the origin is gone.
 *
 * <p>What fetch delivers is what {@link FetchedTemplate#location()} allows: a folder of files as laid out, or a
 * {@code .tar.gz} package (core verifies the package's manifest and signatures before it extracts anything). The
 * kit reads either the way core does, so one contract holds for folder, Git and registry sources alike.
 *
 * <p>A subclass supplies {@link #publish} (put a template version where the source reads it: a folder, a signed
 * Git tag, a registry push) and {@link #createSource}; the kit creates a fresh source for every check.
 */
public abstract class TemplateSourceCompatibilityKit {
    /** Per-test scratch space: the subclass's origin may live here too. */
    @TempDir
    protected Path work;

    /**
     * Publishes one template version.
     *
     * @param name    a valid template name
     * @param version a valid semantic version
     * @param files   relative path to content; always holds {@code template-definition.yaml} naming {@code name}
     *                and {@code version}
     */
    protected abstract void publish(String name, String version, Map<String, String> files) throws Exception;

    /** @return a new source over what was published, made as its factory makes it for the manager */
    protected abstract TemplateSource createSource(ProviderContext context) throws Exception;

    /**
     * Makes the origin unreachable (a remote source's server or repository gone); sources made afterwards must still
     * serve what a source made before synced. A source that needs no network keeps the default (nothing to cut).
     *
     * @param context the context the next sources are made with (a subclass may turn on the source's offline mode)
     */
    protected void goOffline(StubProviderContext context) throws Exception {
    }

    /** @return the context sources are made with; by default a {@link StubProviderContext} with its home under {@link #work} */
    protected StubProviderContext providerContext() {
        return new StubProviderContext(work.resolve("home"));
    }

    /**
     * Whether the source still delivers files once its origin is gone. A mirror (Git) or a folder does; a registry
     * source keeps only its signed index and pulls packages on demand (what was installed lives in core's local
     * repository), so its fetch must then fail typed, in bounded time, with nothing written.
     *
     * @return {@code true} (the default) if {@link #offline_servesWhatWasSynced_afterTheOriginIsGone} must fetch
     * @since 0.3.0
     */
    protected boolean fetchesOffline() {
        return true;
    }

    /** @return the {@link io.vboxmcp.SourceConfig} id sources are created with */
    protected String sourceId() {
        return "kit";
    }

    /** The files of one kit template version: its document, a script and a nested file. */
    protected static Map<String, String> files(String name, String version, String description) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("template-definition.yaml", "name: \"" + name + "\"\nversion: \"" + version + "\"\ndescription: \""
                + description + "\"\nbase_image: \"debian:12\"\n");
        f.put("setup.sh", "#!/bin/sh\necho " + name + " " + version + "\n");
        f.put("files/etc/motd", "welcome to " + name + " " + version + "\n");
        return f;
    }

    private static SemanticVersion v(String s) throws VboxmcpException {
        return SemanticVersion.parse(s);
    }

    private static List<Path> contents(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    /** The files core reads the manifest and signatures from; a package always carries the manifest. */
    private static final Set<String> TRUST_FILES = Set.of(TemplatePublisher.MANIFEST_FILE,
            TemplatePublisher.OPENPGP_SIGNATURE_FILE, TemplatePublisher.SSH_SIGNATURE_FILE);
    /** Bounds on reading a delivered package: the kit's templates are a few small files. */
    private static final int MAX_ENTRIES = 1000;
    private static final long MAX_BYTES = 16L << 20;

    /**
     * Reads what fetch delivered as core would: the regular files of the folder, or the regular-file entries of
     * the {@code .tar.gz} package, by relative path with {@code /}. Fails the check for anything else.
     */
    private static Map<String, String> delivered(FetchedTemplate f) throws IOException {
        Path loc = f.location();
        Map<String, String> out = new TreeMap<>();
        if (Files.isDirectory(loc, LinkOption.NOFOLLOW_LINKS)) {
            try (Stream<Path> s = Files.walk(loc)) {
                for (Path p : s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
                    out.put(loc.relativize(p).toString().replace('\\', '/'), Files.readString(p));
                }
            }
            return out;
        }
        assertThat(Files.isRegularFile(loc, LinkOption.NOFOLLOW_LINKS))
                .as("fetch delivers a folder or a package file, not " + loc).isTrue();
        assertThat(loc.getFileName().toString()).as("a delivered package").endsWith(".tar.gz");
        long total = 0;
        try (InputStream in = Files.newInputStream(loc);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                assertThat(out.size()).as("entries in " + loc).isLessThan(MAX_ENTRIES);
                if (e.isDirectory()) {
                    continue;
                }
                assertThat(e.isFile()).as("package entry " + e.getName() + " is a regular file").isTrue();
                total += e.getSize();
                assertThat(total).as("bytes in " + loc).isLessThan(MAX_BYTES);
                String name = e.getName().startsWith("./") ? e.getName().substring(2) : e.getName();
                out.put(name, new String(tar.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** @return the delivered template files without the manifest and signatures */
    private static Map<String, String> templateFiles(Map<String, String> delivered) {
        Map<String, String> out = new TreeMap<>(delivered);
        out.keySet().removeAll(TRUST_FILES);
        return out;
    }

    @Test
    void versions_areListedAscending_andNamesIncludeTheTemplate() throws Exception {
        publish("kit-a", "1.0.0", files("kit-a", "1.0.0", "first"));
        publish("kit-a", "1.2.0", files("kit-a", "1.2.0", "third"));
        publish("kit-a", "1.1.0", files("kit-a", "1.1.0", "second"));
        publish("kit-b", "0.1.0", files("kit-b", "0.1.0", "other"));
        try (TemplateSource s = createSource(providerContext())) {
            assertThat(s.names()).contains("kit-a", "kit-b");
            assertThat(s.versions("kit-a")).containsExactly(v("1.0.0"), v("1.1.0"), v("1.2.0"));
            assertThat(s.versions("kit-b")).containsExactly(v("0.1.0"));
            assertThat(s.versions("kit-none")).as("versions of a name the source does not have").isEmpty();
            assertThat(s.describe()).filteredOn(i -> i.name().equals("kit-a"))
                    .extracting(i -> i.version().toString(), TemplateInfo::description)
                    .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("1.0.0", "first"),
                            org.assertj.core.groups.Tuple.tuple("1.1.0", "second"),
                            org.assertj.core.groups.Tuple.tuple("1.2.0", "third"));
        }
    }

    @Test
    void fetch_deliversExactlyThePublishedFiles_asAPrivateCopyInTheWorkFolder() throws Exception {
        publish("kit-f", "1.0.0", files("kit-f", "1.0.0", "old"));
        publish("kit-f", "2.0.0", files("kit-f", "2.0.0", "new"));
        Path workDir = Files.createDirectories(work.resolve("fetch"));
        try (TemplateSource s = createSource(providerContext())) {
            FetchedTemplate f = s.fetch("kit-f", v("1.0.0"), workDir);
            assertThat(f.name()).isEqualTo("kit-f");
            assertThat(f.version()).isEqualTo(v("1.0.0"));
            assertThat(f.sourceId()).isEqualTo(s.config().id());
            assertThat(f.remote()).isEqualTo(s.remote());
            assertThat(f.location()).as("a private copy, so verification and use read the same bytes").startsWith(workDir);
            assertThat(templateFiles(delivered(f))).as("the files of 1.0.0, nothing of 2.0.0, nothing else")
                    .isEqualTo(new TreeMap<>(files("kit-f", "1.0.0", "old")));
        }
    }

    @Test
    void fetch_deliversTheDetachedSignatureBesideTheManifest_soCoreVerifiesBeforeReading() throws Exception {
        String asc = "-----BEGIN PGP SIGNATURE-----\nkit\n-----END PGP SIGNATURE-----\n";
        Map<String, String> f = files("kit-s", "1.0.0", "signed");
        f.put(TemplatePublisher.MANIFEST_FILE, "vboxmcp-manifest 1\nname kit-s\nversion 1.0.0\n");
        f.put(TemplatePublisher.OPENPGP_SIGNATURE_FILE, asc);
        publish("kit-s", "1.0.0", f);
        try (TemplateSource s = createSource(providerContext())) {
            Path workDir = Files.createDirectories(work.resolve("sig"));
            FetchedTemplate t = s.fetch("kit-s", v("1.0.0"), workDir);
            Map<String, String> got = delivered(t);
            // the manifest at the root of what was delivered: core checks it (and every file against it) first
            assertThat(got).as("delivered files").containsKey(TemplatePublisher.MANIFEST_FILE);
            boolean delivered = t.signatures().stream().anyMatch(d -> d.format().equals("openpgp")
                    && new String(d.bytes(), StandardCharsets.US_ASCII).equals(asc))
                    || asc.equals(got.get(TemplatePublisher.OPENPGP_SIGNATURE_FILE));
            assertThat(delivered).as("the .asc beside the manifest reaches core (signatures() or the delivered files): "
                    + t.signatures().stream().map(DetachedSignature::fileName).toList()).isTrue();
            // nothing read or unpacked beside it: the source hands over what core verifies, core does the rest
            if (!t.location().equals(workDir)) {
                assertThat(contents(workDir)).as("the work folder holds only what was delivered")
                        .containsExactly(t.location());
            }
        }
    }

    @Test
    void fetch_ofUnknownVersionOrName_isTemplateNotFound_andWritesNothing() throws Exception {
        publish("kit-n", "1.0.0", files("kit-n", "1.0.0", "only"));
        Path workDir = Files.createDirectories(work.resolve("missing"));
        try (TemplateSource s = createSource(providerContext())) {
            assertThat(catchThrowableOfType(TemplateNotFoundException.class,
                    () -> s.fetch("kit-n", v("9.9.9"), workDir))).as("unknown version").isNotNull();
            assertThat(catchThrowableOfType(TemplateNotFoundException.class,
                    () -> s.fetch("kit-none", v("1.0.0"), workDir))).as("unknown name").isNotNull();
            assertThat(contents(workDir)).isEmpty();
        }
    }

    @Test
    void badNames_areRefusedTyped_andNothingIsWrittenOutsideTheWorkFolder() throws Exception {
        publish("kit-x", "1.0.0", files("kit-x", "1.0.0", "target"));
        Path workDir = Files.createDirectories(work.resolve("bad").resolve("work"));
        try (TemplateSource s = createSource(providerContext())) {
            for (String bad : List.of("../kit-x", "kit-x/../../etc", "/etc", "Kit X", "", "kit-x\u0000", "..")) {
                List<SemanticVersion> versions = List.of();
                try {
                    versions = s.versions(bad);
                } catch (VboxmcpException typed) {
                    // refusing is as good as finding nothing
                }
                assertThat(versions).as("versions of '" + bad + "'").isEmpty();
                VboxmcpException e = catchThrowableOfType(VboxmcpException.class,
                        () -> s.fetch(bad, v("1.0.0"), workDir));
                assertThat(e).as("fetch of '" + bad + "' is a typed error").isNotNull();
            }
            assertThat(contents(workDir)).isEmpty();
            assertThat(contents(work.resolve("bad"))).containsExactly(workDir);
        }
    }

    @Test
    void offline_servesWhatWasSynced_afterTheOriginIsGone() throws Exception {
        publish("kit-o", "1.0.0", files("kit-o", "1.0.0", "synced"));
        StubProviderContext context = providerContext();
        try (TemplateSource s = createSource(context)) {
            assertThat(s.versions("kit-o")).containsExactly(v("1.0.0"));
        }
        goOffline(context);
        try (TemplateSource s = createSource(context)) {
            assertThat(s.versions("kit-o")).containsExactly(v("1.0.0"));
            assertThat(s.describe()).extracting(TemplateInfo::name, TemplateInfo::description)
                    .contains(org.assertj.core.groups.Tuple.tuple("kit-o", "synced"));
            Path workDir = Files.createDirectories(work.resolve("offline"));
            if (fetchesOffline()) {
                FetchedTemplate f = s.fetch("kit-o", v("1.0.0"), workDir);
                assertThat(delivered(f).get("template-definition.yaml")).contains("synced");
            } else {
                assertThat(catchThrowableOfType(VboxmcpException.class, () -> s.fetch("kit-o", v("1.0.0"), workDir)))
                        .as("fetch without the origin is a typed error").isNotNull();
                assertThat(contents(workDir)).isEmpty();
            }
        }
    }
}
