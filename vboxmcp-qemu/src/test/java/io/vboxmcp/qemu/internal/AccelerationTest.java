package io.vboxmcp.qemu.internal;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The KVM decision and its per-boot file. Each {@link Acceleration} instance stands for one CLI process: it shares
 * nothing with the others but the cache file. The emulator is a stand-in script that counts its runs, so "no QEMU
 * process started" is counted, not timed.
 */
class AccelerationTest {
    @TempDir
    Path dir;
    Path kvm;
    Path bootId;
    Path cache;
    Path runs;
    Path kernel;
    Path bootDir;
    String qemu;

    @BeforeEach
    void setUp() throws Exception {
        kvm = Files.createFile(dir.resolve("kvm"));
        bootId = Files.writeString(dir.resolve("boot_id"), "11111111-aaaa-4bbb-8ccc-000000000001\n");
        cache = dir.resolve("cache").resolve("kvm-probe.json");
        runs = dir.resolve("runs");
        kernel = Files.writeString(dir.resolve("vmlinuz-image"), "image kernel");
        bootDir = Files.createDirectories(dir.resolve("boot"));
        qemu = stubQemu("exit 0");
    }

    /** A stand-in emulator that logs its kernel argument and then behaves as given (exit 0: the kernel booted). */
    private String stubQemu(String behaviour) throws Exception {
        Path f = dir.resolve("qemu-system-x86_64");
        Files.writeString(f, "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = -kernel ] && echo \"$2\" >> " + runs
                + "; shift; done\n" + behaviour + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        return f.toString();
    }

    private Acceleration process(Path configuredKernel) {
        return new Acceleration(qemu, kvm, Duration.ofSeconds(5), cache, bootId, configuredKernel, bootDir);
    }

    private List<String> probeRuns() throws Exception {
        return Files.exists(runs) ? Files.readAllLines(runs) : List.of();
    }

    @Test
    void decide_secondProcessOnTheSameBootReusesTheAnswerWithoutStartingQemu() throws Exception {
        Acceleration.Decision first = process(null).decide("auto", kernel);
        Acceleration.Decision second = process(null).decide("auto", kernel);

        assertThat(first.accel()).isEqualTo("kvm");
        assertThat(first.probed()).isTrue();
        assertThat(second.accel()).isEqualTo("kvm");
        assertThat(second.probed()).isFalse();
        assertThat(second.reason()).contains("earlier on this boot").contains(cache.toString());
        assertThat(probeRuns()).containsExactly(kernel.toString());
        assertThat(Files.readString(cache)).contains("\"bootId\":\"11111111-aaaa-4bbb-8ccc-000000000001\"")
                .contains("\"kvmUsable\":true");
    }

    @Test
    void decide_rememberedRefusalIsReusedToo() throws Exception {
        qemu = stubQemu("exec sleep 30");
        Acceleration slow = new Acceleration(qemu, kvm, Duration.ofMillis(500), cache, bootId, null, bootDir);
        assertThat(slow.decide("auto", kernel).accel()).isEqualTo("tcg");

        long t0 = System.nanoTime();
        Acceleration.Decision again = slow.decide("auto", kernel);
        assertThat(again.accel()).isEqualTo("tcg");
        assertThat(again.reason()).contains("did not boot within 500 ms");
        assertThat(probeRuns()).hasSize(1);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(500));
    }

    @Test
    void decide_newBootIdInvalidatesTheAnswer() throws Exception {
        process(null).decide("auto", kernel);
        Files.writeString(bootId, "22222222-aaaa-4bbb-8ccc-000000000002\n");

        assertThat(process(null).decide("auto", kernel).probed()).isTrue();
        assertThat(probeRuns()).hasSize(2);
        assertThat(Files.readString(cache)).contains("22222222-aaaa-4bbb-8ccc-000000000002");
    }

    @Test
    void decide_changedEmulatorBinaryInvalidatesTheAnswer() throws Exception {
        process(null).decide("auto", kernel);
        // an upgraded QEMU: other bytes, other size and modification time
        qemu = stubQemu("true; exit 0");
        Files.setLastModifiedTime(Path.of(qemu), FileTime.fromMillis(System.currentTimeMillis() + 60_000));

        assertThat(process(null).decide("auto", kernel).probed()).isTrue();
        assertThat(probeRuns()).hasSize(2);
    }

    @Test
    void decide_anotherKernelIsProbedAgain() throws Exception {
        process(null).decide("auto", kernel);
        Path other = Files.writeString(dir.resolve("vmlinuz-other"), "another kernel");

        assertThat(process(null).decide("auto", other).probed()).isTrue();
        assertThat(probeRuns()).containsExactly(kernel.toString(), other.toString());
    }

    @Test
    void decide_sameKernelBytesElsewhereAreTheSameKernel_butAKernelReplacedInPlaceIsNot() throws Exception {
        process(null).decide("auto", kernel);
        Path copy = Files.copy(kernel, dir.resolve("vmlinuz-copy"));

        assertThat(process(null).decide("auto", copy).probed()).as("same digest").isFalse();

        Files.writeString(kernel, "image kernel, rebuilt");
        assertThat(process(null).decide("auto", kernel).probed()).as("new bytes at the old path").isTrue();
        assertThat(probeRuns()).containsExactly(kernel.toString(), kernel.toString());
    }

    @Test
    void decide_corruptFileIsIgnoredAndRewritten() throws Exception {
        Files.createDirectories(cache.getParent());
        Files.writeString(cache, "{\"bootId\": \"11111111-aaaa-4bbb-8ccc-000000000001\", \"kvmUsable\": tr");

        Acceleration.Decision d = process(null).decide("auto", kernel);

        assertThat(d.probed()).isTrue();
        assertThat(d.accel()).isEqualTo("kvm");
        assertThat(KvmProbeCache.read(cache)).get().extracting(KvmProbeCache.Entry::kernel).isEqualTo(kernel.toString());
        try (var s = Files.list(cache.getParent())) {
            assertThat(s).as("no temporary files left").containsExactly(cache);
        }
    }

    @Test
    void decide_diskBootingImageReusesTheAnswerOfThisBoot() throws Exception {
        process(null).decide("auto", kernel);

        Acceleration.Decision d = process(null).decide("auto", null);

        assertThat(d.accel()).isEqualTo("kvm");
        assertThat(d.probed()).isFalse();
        assertThat(probeRuns()).hasSize(1);
    }

    @Test
    void decide_diskBootingImageProbesWithTheRememberedKernelAfterAnEmulatorUpgrade() throws Exception {
        process(null).decide("auto", kernel);
        qemu = stubQemu("true; exit 0");
        Files.setLastModifiedTime(Path.of(qemu), FileTime.fromMillis(System.currentTimeMillis() + 60_000));

        Acceleration.Decision d = process(null).decide("auto", null);

        assertThat(d.probed()).isTrue();
        assertThat(probeRuns()).containsExactly(kernel.toString(), kernel.toString());
    }

    @Test
    void decide_diskBootingImageProbesWithTheConfiguredKernelFirst() throws Exception {
        Path configured = Files.writeString(dir.resolve("probe-kernel"), "configured kernel");
        Files.writeString(bootDir.resolve("vmlinuz-6.1.0-9-amd64"), "host kernel");

        process(configured).decide("auto", kernel);

        assertThat(probeRuns()).containsExactly(configured.toString());
    }

    @Test
    void decide_diskBootingImageFallsBackToTheHostsBootKernel() throws Exception {
        Path older = Files.writeString(bootDir.resolve("vmlinuz-6.1.0-57-amd64"), "old");
        Files.setLastModifiedTime(older, FileTime.fromMillis(1_000_000));
        Path newer = Files.writeString(bootDir.resolve("vmlinuz-6.1.0-9-amd64"), "new");

        Acceleration.Decision d = process(null).decide("auto", null);

        assertThat(d.probed()).isTrue();
        assertThat(probeRuns()).containsExactly(newer.toString());
    }

    @Test
    void decide_withoutAnyKernelUsesTcgAndSaysWhy() throws Exception {
        Acceleration.Decision d = process(null).decide("auto", null);

        assertThat(d.accel()).isEqualTo("tcg");
        assertThat(d.reason()).contains("no Linux kernel to probe KVM with").contains("qemu.kvm.probe-kernel")
                .contains("qemu.accel=kvm");
        assertThat(probeRuns()).isEmpty();
        assertThat(cache).as("nothing probed, nothing remembered").doesNotExist();
    }

    @Test
    void decide_withoutBootIdProbesOncePerProcessAndWritesNoFile() throws Exception {
        Files.delete(bootId);
        Path k = Files.writeString(dir.resolve("vmlinuz-no-boot-id"), "kernel " + System.nanoTime());
        Acceleration a = process(null);

        assertThat(a.decide("auto", k).probed()).isTrue();
        assertThat(a.decide("auto", k).probed()).isFalse();
        assertThat(probeRuns()).hasSize(1);
        assertThat(cache).doesNotExist();
    }

    @Test
    void decide_explicitModesNeverProbe() throws Exception {
        assertThat(process(null).decide("kvm", kernel).accel()).isEqualTo("kvm");
        assertThat(process(null).decide("tcg", kernel).accel()).isEqualTo("tcg");
        assertThat(probeRuns()).isEmpty();
    }

    @Test
    void decide_inaccessibleKvmDeviceIsTcgWithoutProbing() throws Exception {
        Files.delete(kvm);

        Acceleration.Decision d = process(null).decide("auto", kernel);

        assertThat(d.accel()).isEqualTo("tcg");
        assertThat(d.reason()).contains("not accessible");
        assertThat(probeRuns()).isEmpty();
    }
}
