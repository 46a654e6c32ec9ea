package io.vboxmcp.testkit.http;

import io.vboxmcp.PackageMirrors;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Everything a test needs to run the real {@code examples/templates/python-dev} on the Debian 12 guest without the
 * Internet, all on {@code 127.0.0.1}: the image of {@code scripts/build-debian-image.sh} served over HTTP under the
 * reference {@code debian:12} (a user catalog that overrides the built-in entry), the signed apt repository of
 * {@code scripts/build-apt-mirror.sh} with git, curl and python3-pip, and a PEP 503 index with the
 * {@code vboxmcp-hello} wheel that the template's {@code requirements.txt} names. Guests reach the servers at
 * {@code 10.0.2.2} (QEMU user networking). Both scripts cache by content, so after the first run starting the
 * fixture costs seconds. Building needs root and Debian's mirrors; {@link #start} fails with the scripts' output
 * otherwise.
 *
 * <pre>{@code
 * try (DebianGuestFixture debian = DebianGuestFixture.start(repoRoot, workDir)) {
 *     VmManager.builder().property("image.catalog", debian.catalog().toUri().toString())
 *             .packageMirrors(debian.mirrors()) ...
 * }
 * }</pre>
 *
 * @since 0.2.0
 */
public final class DebianGuestFixture implements AutoCloseable {
    /** The reference the image is served under: the built-in catalog's, so the template's own base_image is used. */
    public static final String REFERENCE = "debian:12";
    /** What the image leaves out and the mirror serves (the python-dev template installs them). */
    public static final List<String> MIRROR_PACKAGES = List.of("git", "curl", "python3-pip");
    /** The module source of the {@code vboxmcp-hello} wheel, the same as {@code scripts/build-pip-mirror.sh} makes. */
    public static final String HELLO_SOURCE = """
            \"\"\"A tiny package for the vboxmcp python-dev example.\"\"\"
            __version__ = "1.0.0"


            def greeting(who="world"):
                return f"hello from {who} (vboxmcp-hello {__version__})"
            """;

    private final Path imageDir;
    private final Path catalog;
    private final Path aptDir;
    private final StaticHttpServer images;
    private final StaticHttpServer apt;
    private final PipIndexServer pip;
    private final Wheels.Wheel hello;

    private DebianGuestFixture(Path imageDir, Path catalog, Path aptDir, StaticHttpServer images, StaticHttpServer apt,
                               PipIndexServer pip, Wheels.Wheel hello) {
        this.imageDir = imageDir;
        this.catalog = catalog;
        this.aptDir = aptDir;
        this.images = images;
        this.apt = apt;
        this.pip = pip;
        this.hello = hello;
    }

    /**
     * Builds (or finds cached) the image and the apt mirror, and starts the three servers.
     *
     * @param repoRoot the repository root (holds {@code scripts/})
     * @param work     an empty folder for the mirror, the index and the catalog
     * @return the started fixture; close it to stop the servers
     * @throws IOException if a script fails (its output is in the message) or a server cannot start
     */
    public static DebianGuestFixture start(Path repoRoot, Path work) throws IOException, InterruptedException {
        String out = run(repoRoot, 60, "bash", repoRoot.resolve("scripts/build-debian-image.sh").toString());
        Path imageCatalog = Path.of(out.lines().reduce((a, b) -> b).orElseThrow().trim());
        Path imageDir = imageCatalog.getParent();
        Path aptDir = work.resolve("apt");
        List<String> mirrorCmd = new java.util.ArrayList<>(List.of("bash",
                repoRoot.resolve("scripts/build-apt-mirror.sh").toString(), aptDir.toString()));
        mirrorCmd.addAll(MIRROR_PACKAGES);
        run(repoRoot, 20, mirrorCmd.toArray(String[]::new));

        Wheels.Wheel hello = Wheels.make("vboxmcp-hello", "1.0.0", HELLO_SOURCE);
        StaticHttpServer images = StaticHttpServer.serve(imageDir);
        StaticHttpServer apt = null;
        try {
            apt = StaticHttpServer.serve(aptDir);
            PipIndexServer pip = PipIndexServer.serve(work.resolve("pip"), List.of(hello));
            Path catalog = work.resolve("catalog.json");
            Files.writeString(catalog, catalogJson(imageCatalog, images), StandardCharsets.UTF_8);
            return new DebianGuestFixture(imageDir, catalog, aptDir, images, apt, pip, hello);
        } catch (IOException | RuntimeException e) {
            images.close();
            if (apt != null) {
                apt.close();
            }
            throw e;
        }
    }

    /**
     * The override catalog: {@code debian:12} at the loopback server, with the build's sha256 and a sha512 computed
     * here, so both digest kinds are checked on the way into the cache.
     */
    static String catalogJson(Path imageCatalog, StaticHttpServer images) throws IOException {
        String built = Files.readString(imageCatalog, StandardCharsets.UTF_8);
        Matcher sha256 = Pattern.compile("\"sha256\"\\s*:\\s*\"([0-9a-f]{64})\"").matcher(built);
        Matcher size = Pattern.compile("\"size\"\\s*:\\s*([0-9]+)").matcher(built);
        if (!sha256.find() || !size.find() || !built.contains("\"disk.qcow2\"")) {
            throw new IOException("unexpected catalog from build-debian-image.sh: " + imageCatalog);
        }
        String sha512 = sha512(imageCatalog.getParent().resolve("disk.qcow2"));
        return """
                { "catalogVersion": 1,
                  "images": [ { "reference": "%s",
                                "description": "vboxmcp-debian:12 built by scripts/build-debian-image.sh, served on 127.0.0.1",
                                "firmware": "any",
                                "disk": { "url": "%s", "format": "qcow2", "size": %s,
                                          "digest": ["sha256:%s", "sha512:%s"] } } ] }
                """.formatted(REFERENCE, images.uri("disk.qcow2"), size.group(1), sha256.group(1), sha512);
    }

    /** @return the user catalog (a local file) that serves the image as {@code debian:12} */
    public Path catalog() {
        return catalog;
    }

    /** @return the packages the image holds, from its {@code packages.txt} ({@code name=version} lines): the names */
    public Set<String> imagePackages() throws IOException {
        return Files.readAllLines(imageDir.resolve("packages.txt"), StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isBlank()).map(l -> l.contains("=") ? l.substring(0, l.indexOf('=')) : l.trim())
                .collect(Collectors.toUnmodifiableSet());
    }

    /** @return apt and pip pointed at this fixture's servers as a guest sees them ({@code 10.0.2.2}) */
    public PackageMirrors mirrors() throws IOException {
        try {
            return PackageMirrors.builder()
                    .apt(new PackageMirrors.AptSource(aptUrl(), List.of("bookworm"), List.of("main"), aptKey(), false))
                    .pipIndex(pipIndexUrl()).pipTrustedHost(true)
                    .build();
        } catch (VboxmcpException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /** @return the apt repository's URL for a guest */
    public URI aptUrl() {
        return URI.create("http://10.0.2.2:" + apt.port() + "/");
    }

    /** @return the armored public key that signs the apt repository */
    public byte[] aptKey() throws IOException {
        return Files.readAllBytes(aptKeyFile());
    }

    /** @return the file of {@link #aptKey()} */
    public Path aptKeyFile() {
        return aptDir.resolve("mirror-key.asc");
    }

    /** @return the PEP 503 index URL for a guest */
    public URI pipIndexUrl() {
        return URI.create("http://10.0.2.2:" + pip.port() + "/simple/");
    }

    /** @return the apt repository's server (its {@code requests()} show what a guest fetched) */
    public StaticHttpServer apt() {
        return apt;
    }

    /** @return the pip index's server */
    public PipIndexServer pip() {
        return pip;
    }

    /** @return the image's server */
    public StaticHttpServer images() {
        return images;
    }

    /** @return the wheel the index serves */
    public Wheels.Wheel hello() {
        return hello;
    }

    @Override
    public void close() {
        pip.close();
        apt.close();
        images.close();
    }

    private static String sha512(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-512");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs a build script with a deadline; its last output line is the result. */
    private static String run(Path dir, int minutes, String... cmd) throws IOException, InterruptedException {
        Path log = Files.createTempFile("debian-fixture", ".log");
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish in " + minutes + " minutes");
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "):\n" + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
