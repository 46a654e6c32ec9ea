package io.vboxmcp.examples;

import io.vboxmcp.PackageMirrors;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The seed's use case: create the {@code python-dev} VM (Debian 12, {@code examples/templates/python-dev}) from the
 * local repository, use it, destroy it.
 *
 * <pre>
 * CreateFromLocalTemplate [TEMPLATE_DIR [HOME]]
 * </pre>
 *
 * TEMPLATE_DIR defaults to {@code examples/templates/python-dev}; HOME to {@code $VBOXMCP_HOME} or
 * {@code ~/.vboxmcp}. The template's {@code base_image: debian:12} comes from the built-in image catalog, or from the
 * catalog named by {@code $VBOXMCP_IMAGE_CATALOG} ({@code -Dvboxmcp.image.catalog}). Where the guest cannot reach
 * Debian's and PyPI's servers (our build machines), point it at mirrors, each as an environment variable or the
 * system property in brackets:
 * {@code VBOXMCP_APT_MIRROR} ({@code vboxmcp.apt.mirror}, a signed bookworm repository such as
 * {@code scripts/build-apt-mirror.sh} makes), {@code VBOXMCP_APT_KEY} ({@code vboxmcp.apt.key}, the file of its
 * public key), {@code VBOXMCP_PIP_INDEX} ({@code vboxmcp.pip.index}, a PEP 503 index; plain http is trusted).
 * The template shares {@code ~/projects} (writable) and {@code ~/datasets} (read-only); both are created if missing.
 */
public final class CreateFromLocalTemplate {
    private CreateFromLocalTemplate() {
    }

    public static void main(String[] args) throws Exception {
        Path templateDir = Path.of(args.length > 0 ? args[0] : "examples/templates/python-dev");
        VmManager.Builder builder = VmManager.builder();
        if (args.length > 1) {
            builder.home(Path.of(args[1]));
        }
        // the shared folders' host side: allowed explicitly, nothing else on the host is shared
        for (String share : List.of("projects", "datasets")) {
            builder.allowSharedFolderRoot(Files.createDirectories(Path.of(System.getProperty("user.home"), share)));
        }
        builder.packageMirrors(mirrors(CreateFromLocalTemplate::setting));
        // tag::create[]
        try (VmManager manager = builder.build()) {
            // validate the template folder and copy it into the local repository (~/.vboxmcp/templates)
            manager.templates().install(templateDir);

            // resolve, verify, plan, boot, wait for SSH, provision; undone completely if any step fails.
            // "allow_write": the template shares ~/projects writable, which only the caller may grant
            try (Vm vm = manager.createFromTemplate("my-python-dev", "python-dev", "1.0.0",
                    Map.of("memory", 2048, "cpus", 2, "disk_size", 20000, "allow_write", "code"))) {
                int port = vm.hostPort(8000).orElseThrow();  // guest port 8000, forwarded to 127.0.0.1
                HttpResponse<String> page = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                        .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                                HttpResponse.BodyHandlers.ofString());
                System.out.println("http://127.0.0.1:" + port + "/ says: " + page.body().trim());
                System.out.println("python3: " + vm.exec("python3 -c 'import vboxmcp_hello, sys; print(sys.prefix)'")
                        .stdout().trim());
            } // closing the Vm destroys it: no process, disk or port is left
        }
        // end::create[]
    }

    /**
     * The package mirrors named by the settings {@code vboxmcp.apt.mirror}, {@code vboxmcp.apt.key} and
     * {@code vboxmcp.pip.index}; {@link PackageMirrors#NONE} if none is set.
     *
     * @param settings a setting's value by its property name, or null
     */
    static PackageMirrors mirrors(UnaryOperator<String> settings) throws VboxmcpException, IOException {
        // tag::mirrors[]
        PackageMirrors.Builder mirrors = PackageMirrors.builder();
        String apt = settings.apply("vboxmcp.apt.mirror");
        if (apt != null) {
            String key = settings.apply("vboxmcp.apt.key");
            if (key == null) {
                throw new IllegalArgumentException("vboxmcp.apt.mirror needs vboxmcp.apt.key, the mirror's public key");
            }
            mirrors.apt(new PackageMirrors.AptSource(PackageMirrors.parseUrl("apt mirror", apt), List.of("bookworm"),
                    List.of("main"), Files.readAllBytes(Path.of(key)), false));
        }
        String pip = settings.apply("vboxmcp.pip.index");
        if (pip != null) {
            URI index = PackageMirrors.parseUrl("pip index", pip);
            mirrors.pipIndex(index).pipTrustedHost(index.getScheme().equals("http"));
        }
        return mirrors.build();
        // end::mirrors[]
    }

    /** A system property, else the environment variable of the same name ({@code vboxmcp.apt.mirror}: {@code VBOXMCP_APT_MIRROR}). */
    static String setting(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(property.toUpperCase(java.util.Locale.ROOT).replace('.', '_'));
        }
        return v == null || v.isBlank() ? null : v;
    }
}
