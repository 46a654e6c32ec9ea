package io.vboxmcp.examples;

import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

/**
 * The seed's use case: create the {@code python-dev} VM from a template in the local repository, use it, destroy it.
 *
 * <pre>
 * CreateFromLocalTemplate [TEMPLATE_DIR [HOME]]
 * </pre>
 *
 * TEMPLATE_DIR defaults to {@code examples/templates/python-dev}; HOME to {@code $VBOXMCP_HOME} or
 * {@code ~/.vboxmcp}. The template's base image {@code vboxmcp-test:1} comes from the image catalog named by
 * {@code $VBOXMCP_IMAGE_CATALOG} (or the system property {@code vboxmcp.image.catalog}), which
 * {@code scripts/build-test-image.sh} prints.
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
        // tag::create[]
        try (VmManager manager = builder.build()) {
            // validate the template folder and copy it into the local repository (~/.vboxmcp/templates)
            manager.templates().install(templateDir);

            // resolve, verify, plan, boot, wait for SSH, provision; undone completely if any step fails
            try (Vm vm = manager.createFromTemplate("my-python-dev", "python-dev", "1.0.0",
                    Map.of("memory", 512, "cpus", 1, "disk_size", 1024))) {
                int port = vm.hostPort(8000).orElseThrow();  // guest port 8000, forwarded to 127.0.0.1
                HttpResponse<String> page = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                        .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                                HttpResponse.BodyHandlers.ofString());
                System.out.println("http://127.0.0.1:" + port + "/ says: " + page.body().trim());
                System.out.println("guest user: " + vm.exec("id -un").stdout().trim());
            } // closing the Vm destroys it: no process, disk or port is left
        }
        // end::create[]
    }
}
