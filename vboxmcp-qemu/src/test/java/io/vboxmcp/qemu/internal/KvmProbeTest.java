package io.vboxmcp.qemu.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class KvmProbeTest {
    @TempDir
    Path dir;

    /** A stand-in emulator: a script that behaves like QEMU would with a broken or working KVM. */
    private String stubQemu(String body) throws Exception {
        Path f = dir.resolve("stub-qemu");
        Files.writeString(f, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
        return f.toString();
    }

    private Path fakeKvmDevice() throws Exception {
        return Files.createFile(dir.resolve("kvm"));
    }

    private Path kernel() throws Exception {
        return Files.writeString(dir.resolve("vmlinuz"), "stand-in");
    }

    @Test
    void probe_fallsBackWhenTheKvmGuestHangs() throws Exception {
        String hanging = stubQemu("echo $$ > " + dir.resolve("pid") + "; exec sleep 60");
        long t0 = System.nanoTime();

        KvmProbe.Result r = KvmProbe.probe(hanging, fakeKvmDevice(), Duration.ofMillis(800), kernel());

        assertThat(r.kvmUsable()).isFalse();
        assertThat(r.reason()).contains("did not boot within 800 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("probe time").isLessThan(Duration.ofSeconds(8));
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).trim());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("hung probe killed").isFalse();
    }

    @Test
    void probe_acceptsKvmWhenTheProbeKernelPanicsAndExits() throws Exception {
        KvmProbe.Result r = KvmProbe.probe(stubQemu("exit 0"), fakeKvmDevice(), Duration.ofSeconds(5), kernel());

        assertThat(r.kvmUsable()).as(r.reason()).isTrue();
    }

    @Test
    void probe_fallsBackWhenQemuRefusesKvm() throws Exception {
        KvmProbe.Result r = KvmProbe.probe(stubQemu("echo 'Could not access KVM kernel module' >&2; exit 1"),
                fakeKvmDevice(), Duration.ofSeconds(5), kernel());

        assertThat(r.kvmUsable()).isFalse();
        assertThat(r.reason()).contains("Could not access KVM");
    }

    @Test
    void probe_fallsBackWithoutKvmDevice() throws Exception {
        KvmProbe.Result r = KvmProbe.probe(stubQemu("exit 0"), dir.resolve("no-such-kvm"), Duration.ofSeconds(5), kernel());

        assertThat(r.kvmUsable()).isFalse();
        assertThat(r.reason()).contains("not accessible");
    }

    @Test
    void probe_withKernelCountsOnlyTheKernelsOwnExit() throws Exception {
        Path kernel = kernel();
        // a kernel without root panics and, with panic=-1 -no-reboot, QEMU exits 0
        assertThat(KvmProbe.probe(stubQemu("exit 0"), fakeKvmDevice(), Duration.ofSeconds(5), kernel).kvmUsable()).isTrue();
        // any other exit (the old boot-sector probe's 3 included) is not a kernel that booted
        assertThat(KvmProbe.probe(stubQemu("exit 3"), dir.resolve("kvm"), Duration.ofSeconds(5), kernel).kvmUsable()).isFalse();
        // the hang seen on our build machines: the kernel prints its first line and stops
        KvmProbe.Result hung = KvmProbe.probe(stubQemu("echo 'Probing EDD (edd=off to disable)... ok'; exec sleep 60"),
                dir.resolve("kvm"), Duration.ofMillis(800), kernel);
        assertThat(hung.kvmUsable()).isFalse();
    }

    @Test
    void probe_withoutKernelRefusesKvmWithoutStartingQemu() throws Exception {
        Path started = dir.resolve("started");
        KvmProbe.Result r = KvmProbe.probe(stubQemu("touch " + started + "; exit 0"), fakeKvmDevice(),
                Duration.ofSeconds(5), null);

        assertThat(r.kvmUsable()).isFalse();
        assertThat(r.reason()).contains("no kernel");
        assertThat(started).doesNotExist();
    }

    @Test
    @org.junit.jupiter.api.Tag("vm")
    void probe_onThisHostDecidesWithinTheTimeout() throws Exception {
        // the real emulator, the test image's kernel and the real /dev/kvm: whatever the answer, it comes in time
        Path kernel = io.vboxmcp.qemu.TestImage.baseImage().kernel();
        long t0 = System.nanoTime();
        KvmProbe.Result r = KvmProbe.probe("qemu-system-x86_64", Path.of("/dev/kvm"), Duration.ofSeconds(3), kernel);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("probe time (" + r.reason() + ")")
                .isLessThan(Duration.ofSeconds(10));
    }
}
