package io.vboxmcp.libvirt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.spi.BaseImage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the libvirt tests need on this machine: a running {@code libvirtd} (started by
 * {@code scripts/start-libvirtd.sh} when {@code qemu:///system} does not answer) and the busybox test guest
 * {@code vboxmcp-test:1} (built or taken from its cache by {@code scripts/build-test-image.sh}).
 */
public final class LibvirtFixture {
    private static BaseImage image;
    private static boolean daemonChecked;

    private LibvirtFixture() {
    }

    /** Starts virtlogd and libvirtd unless {@code qemu:///system} already answers. */
    public static synchronized void ensureLibvirtd() throws IOException, InterruptedException {
        if (daemonChecked) {
            return;
        }
        if (run(List.of("virsh", "-q", "-c", "qemu:///system", "version")).exit != 0) {
            Result r = run(List.of("bash", repoRoot().resolve("scripts/start-libvirtd.sh").toString()));
            if (r.exit != 0) {
                throw new IOException("scripts/start-libvirtd.sh failed: " + r.out);
            }
        }
        daemonChecked = true;
    }

    /** @return virsh's output for {@code args} on {@code uri}; throws if virsh fails */
    public static String virsh(String uri, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("virsh", "-q", "-c", uri));
        cmd.addAll(List.of(args));
        Result r = run(cmd);
        if (r.exit != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + r.out);
        }
        return r.out;
    }

    /** @return the names of the pool's volumes (virsh 9.0's vol-list has no --name: the first column) */
    public static List<String> volumes(String pool) throws IOException, InterruptedException {
        return virsh("qemu:///system", "vol-list", pool).lines().map(String::strip).filter(l -> !l.isEmpty())
                .map(l -> l.split("\\s+")[0]).toList();
    }

    /** Removes a pool and every volume in it, if it exists (what a test's own pool leaves). */
    public static void removePool(String pool) throws IOException, InterruptedException {
        if (!List.of(virsh("qemu:///system", "pool-list", "--all").split("\\s+")).contains(pool)) {
            return;
        }
        // each step on its own: a pool whose folder is gone cannot refresh, an inactive one cannot be destroyed
        try {
            virsh("qemu:///system", "pool-refresh", pool);
            for (String v : volumes(pool)) {
                virsh("qemu:///system", "vol-delete", "--pool", pool, v);
            }
        } catch (IOException unreadable) {
            // nothing to delete through libvirt
        }
        for (String step : List.of("pool-destroy", "pool-delete")) {
            try {
                virsh("qemu:///system", step, pool);
            } catch (IOException alreadyDone) {
                // inactive already, or its folder is gone
            }
        }
        virsh("qemu:///system", "pool-undefine", pool);
    }

    /** The test guest as a BaseImage (disk, kernel, initrd as the catalog lists them). */
    public static synchronized BaseImage testImage() throws IOException, InterruptedException {
        if (image != null) {
            return image;
        }
        Path catalog;
        String env = System.getenv("VBOXMCP_TEST_IMAGE_CATALOG");
        if (env != null && !env.isBlank()) {
            catalog = Path.of(env.startsWith("file:") ? java.net.URI.create(env).getPath() : env);
        } else {
            Result r = run(List.of("bash", repoRoot().resolve("scripts/build-test-image.sh").toString()));
            if (r.exit != 0) {
                throw new IOException("scripts/build-test-image.sh failed: " + r.out);
            }
            String[] lines = r.out.strip().split("\n");
            catalog = Path.of(lines[lines.length - 1].strip());
        }
        JsonNode img = new ObjectMapper().readTree(catalog.toFile()).path("images").get(0);
        Path dir = catalog.getParent();
        image = new BaseImage(img.path("reference").asText(), dir.resolve(img.path("disk").path("url").asText()),
                img.path("disk").path("format").asText(), "sha256:" + img.path("disk").path("sha256").asText(),
                dir.resolve(img.path("kernel").path("url").asText()), dir.resolve(img.path("initrd").path("url").asText()),
                img.path("kernelArgs").asText());
        return image;
    }

    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("scripts/build-test-image.sh"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find scripts/ above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    private record Result(int exit, String out) {
    }

    private static Result run(List<String> cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("libvirt-fixture", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectErrorStream(false)
                    .redirectError(ProcessBuilder.Redirect.appendTo(out.toFile()));
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(cmd + " did not finish");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
