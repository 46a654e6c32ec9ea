package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VmPlan;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.Firmware;
import io.vboxmcp.spi.HypervisorDriver;
import io.vboxmcp.spi.Machine;
import io.vboxmcp.spi.MachineSpec;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.template.TemplateMetadata;
import io.vboxmcp.testkit.StubProviderContext;
import io.vboxmcp.virtualbox.VirtualBoxKeys;
import io.vboxmcp.virtualbox.internal.cli.CommandResult;
import io.vboxmcp.virtualbox.internal.cli.CommandRunner;
import io.vboxmcp.virtualbox.internal.cli.ProcessCommandRunner;
import io.vboxmcp.virtualbox.internal.cli.VBoxManageAdapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The VDI conversion with the real {@code qemu-img} on real qcow2 files, and the driver built by its factory
 * driving the fake {@code VBoxManage} script with the converted disk and a UEFI image.
 */
class VdiConversionTest {
    @TempDir
    Path tmp;

    /** A real qcow2 image with some data in it (written through qemu-img from a raw file). */
    private BaseImage qcow2(String name, Firmware firmware) throws Exception {
        Path raw = tmp.resolve(name + ".raw");
        byte[] data = new byte[2 * 1024 * 1024];
        for (int i = 0; i < data.length; i += 4096) {
            data[i] = (byte) (i / 4096);
        }
        Files.write(raw, data);
        Path img = tmp.resolve(name + ".qcow2");
        run("qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", raw.toString(), img.toString());
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(img)));
        return new BaseImage(name + ":1", img, "qcow2", digest, null, null, null, firmware);
    }

    private static String run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", argv) + ": " + out).isZero();
        return out;
    }

    @Test
    void vdiFor_convertsWithRealQemuImgOnce_evenWhenTwoCreatesAskAtOnce() throws Exception {
        BaseImage image = qcow2("conc", Firmware.ANY);
        List<List<String>> conversions = new CopyOnWriteArrayList<>();
        ProcessCommandRunner real = new ProcessCommandRunner();
        CommandRunner counting = (argv, env, timeout) -> {
            conversions.add(argv);
            return real.run(argv, env, timeout);
        };
        Path folder = tmp.resolve("vdi");
        VdiCache cache = new VdiCache("qemu-img", folder, counting, Duration.ofMinutes(2));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Path> results = new ArrayList<>();
        try {
            List<Future<Path>> f = List.of(pool.submit(() -> cache.vdiFor(image)), pool.submit(() -> cache.vdiFor(image)));
            for (Future<Path> x : f) {
                results.add(x.get());
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(results.get(0)).isEqualTo(results.get(1))
                .isEqualTo(folder.resolve("sha256-" + image.digest().substring(7) + ".vdi"));
        assertThat(conversions).hasSize(1);
        String info = run("qemu-img", "info", "--output=json", results.get(0).toString());
        assertThat(info).contains("\"format\": \"vdi\"").contains("\"virtual-size\": 2097152");
        // the same bytes: qemu-img compares the guest-visible contents of both images
        run("qemu-img", "compare", "-q", "-f", "qcow2", "-F", "vdi", image.disk().toString(), results.get(0).toString());
        try (var files = Files.list(folder)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith(".convert-"))).as("temporary files").isEmpty();
        }
    }

    @Test
    void vdiFor_unreadableQcow2_isTypedErrorAndLeavesNoVdi() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.qcow2"), "QFI\u00fb but not really a qcow2 image");
        BaseImage image = new BaseImage("bad:1", bad, "qcow2", "sha256:" + "ab".repeat(32), null, null, null);
        Path folder = tmp.resolve("vdi");
        VdiCache cache = new VdiCache("qemu-img", folder, new ProcessCommandRunner(), Duration.ofMinutes(1));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> cache.vdiFor(image));

        assertThat(e.code()).isEqualTo(ErrorCode.HYPERVISOR);
        assertThat(e.getMessage()).contains("could not convert").contains(bad.toString());
        try (var files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("only the lock file")
                    .containsExactly("sha256-" + "ab".repeat(32) + ".vdi.lock");
        }
    }

    @Test
    void vdiFor_refusesADigestThatIsNotHex() throws Exception {
        BaseImage image = new BaseImage("x:1", tmp.resolve("x.qcow2"), "qcow2", "sha256:../../etc/passwd", null, null, null);
        VdiCache cache = new VdiCache("qemu-img", tmp.resolve("vdi"), new ProcessCommandRunner(), Duration.ofMinutes(1));

        VboxmcpException e = catchThrowableOfType(VboxmcpException.class, () -> cache.vdiFor(image));

        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(tmp.resolve("vdi")).doesNotExist();
    }

    @Test
    void factoryDriver_registersAnEfiMasterFromTheConvertedVdi_withTheFakeVBoxManage() throws Exception {
        FakeVBoxManage fake = FakeVBoxManage.installIn(tmp.resolve("fake-vbox"));
        Path home = tmp.resolve("home");
        StubProviderContext ctx = new StubProviderContext(home, Map.of(VirtualBoxKeys.VBOXMANAGE, fake.executable.toString()));
        HypervisorDriver driver = new VirtualBoxDriverFactory().create(ctx);
        BaseImage image = qcow2("uefi", Firmware.UEFI);

        Machine m = driver.create(spec(image, "uefi-1"));

        Path vdi = home.resolve("cache/virtualbox/vdi").resolve("sha256-" + image.digest().substring(7) + ".vdi");
        assertThat(run("qemu-img", "info", "--output=json", vdi.toString())).contains("\"format\": \"vdi\"");
        String master = VirtualBoxDriver.masterName(image);
        Path masterDisk = home.resolve("cache/virtualbox/masters").resolve(master).resolve(master + ".vdi");
        assertThat(fake.calls()).contains("LC_ALL=C clonemedium disk " + vdi + " " + masterDisk + " --format VDI");
        assertThat(fake.calls()).anyMatch(c -> c.equals("LC_ALL=C modifyvm " + master + " --firmware efi"));
        assertThat(fake.calls().indexOf("LC_ALL=C modifyvm " + master + " --firmware efi"))
                .isLessThan(fake.calls().indexOf("LC_ALL=C snapshot " + master + " take base"));
        VBoxManageAdapter adapter = new VBoxManageAdapter(fake.executable.toString(), new ProcessCommandRunner(), d -> { },
                Duration.ofSeconds(30), Duration.ofSeconds(30), w -> { });
        assertThat(adapter.info(m.attributes().get("uuid")).orElseThrow().get("firmware")).as("the clone boots UEFI")
                .contains("EFI");

        driver.create(spec(image, "uefi-2"));
        assertThat(fake.calls()).filteredOn(c -> c.contains(" clonemedium ")).as("one master per digest").hasSize(1);
        driver.destroy(m);
    }

    private MachineSpec spec(BaseImage image, String name) throws Exception {
        TemplateDefinition t = new TemplateDefinition("uefi", SemanticVersion.parse("1.0.0"), null, null,
                image.reference(), 0, 0, 0, Map.of(), List.of(), Map.of(), List.of(), List.of(), TemplateMetadata.EMPTY,
                Map.of());
        VmPlan plan = new VmPlan(name, t, image.digest(), null, "virtualbox", 512, 1, 16,
                List.of(new PortForward(22, 0, "127.0.0.1")), List.of());
        return new MachineSpec(plan, Files.createDirectories(tmp.resolve("vms").resolve(name)), image,
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKey test", "vboxmcp", "iid-" + name, ProgressListener.NONE);
    }
}
