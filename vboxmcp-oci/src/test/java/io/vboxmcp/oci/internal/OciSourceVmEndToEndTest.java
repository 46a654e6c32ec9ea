package io.vboxmcp.oci.internal;

import io.vboxmcp.testkit.http.DistributionRegistry;

import io.vboxmcp.ExecResult;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.Vm;
import io.vboxmcp.VmManager;
import io.vboxmcp.testkit.TestImageCatalog;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The whole path from a registry: a template that exists only in the real distribution registry (published signed,
 * never installed locally) is resolved, pulled by digest, verified against the source's pinned key, booted by the
 * QEMU driver on the test guest image and provisioned by its script.
 */
@Tag("vm")
class OciSourceVmEndToEndTest {
    @TempDir
    Path tmp;

    @Test
    void createFromTemplate_fromARegistryOnlyTemplate_bootsAndProvisionsOnQemu() throws Exception {
        assumeTrue(DistributionRegistry.available(), "docker-registry is not installed");
        try (DistributionRegistry registry = DistributionRegistry.start(null, null)) {
            Path key = Templates.sshKey(tmp, "publisher");
            Path dir = Files.createDirectories(tmp.resolve("oci-e2e"));
            Files.writeString(dir.resolve("template-definition.yaml"), """
                    name: oci-e2e
                    version: "1.0.0"
                    description: "published to an OCI registry"
                    base_image: "vboxmcp-test:1"
                    scripts:
                      - name: mark
                        command: echo from-oci-registry > /tmp/oci-e2e-marker
                    metadata:
                      tags: [oci, e2e]
                    """);
            try (VmManager author = VmManager.builder().home(tmp.resolve("author")).build()) {
                author.publisher().publish(Templates.signedPackage(author, dir, "oci-e2e", "1.0.0", key,
                        tmp.resolve("oci-e2e.tar.gz")), registry.oci("team"));
            }
            try (VmManager manager = VmManager.builder()
                    .home(tmp.resolve("vboxmcp-home"))
                    .addSource(new SourceConfig("team", registry.oci("team"), 0, Map.of()))
                    .property("image.catalog", TestImageCatalog.path().toString())
                    // TCG boots on a 2-core machine shared with other VM tests can take minutes
                    .property("ready.timeout", "600")
                    .build()) {
                manager.trust().add("team", key.resolveSibling("publisher.pub"));
                assertThat(manager.templates().list()).isEmpty();
                Vm vm = manager.createFromTemplate("oci-e2e-vm", "oci-e2e", "^1", Map.of());
                try {
                    ExecResult r = vm.exec("cat /tmp/oci-e2e-marker");
                    assertThat(r.exitCode()).isZero();
                    assertThat(r.stdout().trim()).isEqualTo("from-oci-registry");
                } finally {
                    vm.destroy();
                }
            }
        }
    }
}
