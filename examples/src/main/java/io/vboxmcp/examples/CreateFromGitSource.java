package io.vboxmcp.examples;

import io.vboxmcp.SourceConfig;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.template.TemplateInfo;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Create a VM from a template published in a Git repository: version tags ({@code v1.0.0}) are the template's
 * versions, and the author's key is pinned for that source, so only signed templates are accepted from it.
 *
 * <pre>
 * CreateFromGitSource GIT_URL PUBLIC_KEY [HOME]
 * </pre>
 */
public final class CreateFromGitSource {
    private CreateFromGitSource() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: CreateFromGitSource GIT_URL PUBLIC_KEY [HOME]");
            System.exit(2);
        }
        URI repository = URI.create(args[0]);
        Path authorKey = Path.of(args[1]);
        VmManager.Builder builder = VmManager.builder();
        if (args.length > 2) {
            builder.home(Path.of(args[2]));
        }
        // tag::git[]
        try (VmManager manager = builder.addSource(new SourceConfig("team", repository, 10, Map.of())).build()) {
            manager.trust().add("team", authorKey);  // from now on 'team' must be signed by this key

            List<TemplateInfo> found = manager.search("web-demo");
            found.forEach(t -> System.out.println("found " + t.name() + "@" + t.version() + " in " + t.sourceId()));

            try (Vm vm = manager.createFromTemplate("git-web-demo", "web-demo", "^1.0",
                    Map.of("memory", 512, "cpus", 1, "disk_size", 1024))) {
                System.out.println(vm.plan().template().coordinates() + " signed by " + vm.plan().signer());
                System.out.println("web server on 127.0.0.1:" + vm.hostPort(8000).orElseThrow());
            }
        }
        // end::git[]
    }
}
