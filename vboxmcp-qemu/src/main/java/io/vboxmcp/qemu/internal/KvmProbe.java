package io.vboxmcp.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether KVM really runs guests. On some hosts {@code /dev/kvm} exists but guests hang (on our build
 * machines a Linux kernel stops right after "Probing EDD", when it leaves real mode), so opening the device proves
 * nothing, and neither does a real-mode guest (it runs fine there). The probe boots a Linux kernel under KVM
 * without a root file system and with {@code panic=-1 -no-reboot}: a working KVM panics and exits within a
 * second. {@link KvmProbeCache} keeps the answer for the rest of the host's boot; {@link Acceleration} finds the
 * kernel.
 */
final class KvmProbe {
    /**
     * @param kvmUsable whether guests boot under KVM
     * @param reason    one sentence for logs and progress events
     */
    record Result(boolean kvmUsable, String reason) { }

    private KvmProbe() {
    }

    /** Boots {@code kernel} under KVM once, without any cache. */
    static Result probe(String qemu, Path kvmDevice, Duration timeout, Path kernel) {
        if (!Files.isReadable(kvmDevice) || !Files.isWritable(kvmDevice)) {
            return new Result(false, kvmDevice + " is not accessible");
        }
        if (kernel == null || !Files.isRegularFile(kernel)) {
            return new Result(false, "no kernel to probe KVM with");
        }
        Path dir = null;
        Process p = null;
        try {
            dir = Files.createTempDirectory("vboxmcp-kvm-probe");
            List<String> cmd = List.of(qemu, "-nodefaults", "-no-user-config", "-display", "none",
                    "-machine", "pc,accel=kvm", "-cpu", "host", "-m", "128", "-smp", "1",
                    "-kernel", kernel.toString(), "-append", "console=ttyS0 panic=-1 loglevel=1",
                    "-no-reboot", "-serial", "file:" + dir.resolve("console.log"));
            p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("probe.log").toFile())
                    .start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return new Result(false, "a KVM guest did not boot within " + timeout.toMillis() + " ms");
            }
            // a kernel without a root file system panics and, with panic=-1 -no-reboot, QEMU exits 0
            if (p.exitValue() == 0) {
                return new Result(true, "a KVM guest booted its kernel");
            }
            // one line: the reason goes into a progress event and the cache file
            String log = Files.readString(dir.resolve("probe.log")).trim().replaceAll("\\s*\\R\\s*", "; ");
            return new Result(false, "KVM probe exited with " + p.exitValue() + (log.isEmpty() ? "" : ": " + log));
        } catch (IOException e) {
            return new Result(false, "KVM probe could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "KVM probe interrupted");
        } finally {
            if (p != null && p.isAlive()) {
                // the probe guest has no QMP socket; it is our own child and hung, so killing it is the only way
                p.destroyForcibly();
                try {
                    p.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (dir != null) {
                Files2.deleteTree(dir);
            }
        }
    }
}
