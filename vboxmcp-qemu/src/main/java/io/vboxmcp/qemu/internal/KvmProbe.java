package io.vboxmcp.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether KVM really runs guests. On some hosts {@code /dev/kvm} exists but guests hang (on our build
 * machines a Linux kernel stops right after "Probing EDD", when it leaves real mode), so opening the device proves
 * nothing. With a kernel at hand the probe boots it under KVM without a root file system and
 * {@code panic=-1 -no-reboot}: a working KVM panics and exits within a second. Without a kernel it boots a
 * one-sector real-mode guest that exits through QEMU's {@code isa-debug-exit} port (which catches a KVM that
 * does not run at all, but not one that fails later). Runs once per JVM, emulator and kernel.
 */
final class KvmProbe {
    /** The probe guest: {@code mov al,1; out 0xf4,al; hlt; jmp $-1}, then the boot signature. */
    private static final byte[] BOOT_SECTOR = bootSector();
    /** isa-debug-exit exits with {@code (value << 1) | 1}. */
    private static final int SUCCESS_EXIT = 3;
    private static final Map<String, Result> CACHE = new ConcurrentHashMap<>();

    /**
     * @param kvmUsable whether guests boot under KVM
     * @param reason    one sentence for logs and progress events
     */
    record Result(boolean kvmUsable, String reason) { }

    private KvmProbe() {
    }

    /** The cached result for {@code qemu}, probing on first use. */
    static Result probeOnce(String qemu, Path kvmDevice, Duration timeout, Path kernel) {
        return CACHE.computeIfAbsent(qemu + "|" + kvmDevice + "|" + kernel, k -> probe(qemu, kvmDevice, timeout, kernel));
    }

    /** Probes without the cache (tests); {@code kernel} may be null. */
    static Result probe(String qemu, Path kvmDevice, Duration timeout, Path kernel) {
        if (!Files.isReadable(kvmDevice) || !Files.isWritable(kvmDevice)) {
            return new Result(false, kvmDevice + " is not accessible");
        }
        Path dir = null;
        Process p = null;
        try {
            dir = Files.createTempDirectory("vboxmcp-kvm-probe");
            List<String> cmd;
            int success;
            if (kernel != null && Files.isRegularFile(kernel)) {
                cmd = List.of(qemu, "-nodefaults", "-no-user-config", "-display", "none",
                        "-machine", "pc,accel=kvm", "-cpu", "host", "-m", "128", "-smp", "1",
                        "-kernel", kernel.toString(), "-append", "console=ttyS0 panic=-1 loglevel=1",
                        "-no-reboot", "-serial", "file:" + dir.resolve("console.log"));
                success = 0;
            } else {
                Path img = dir.resolve("probe.img");
                Files.write(img, BOOT_SECTOR);
                cmd = List.of(qemu, "-nodefaults", "-no-user-config", "-display", "none",
                        "-machine", "pc,accel=kvm", "-m", "16", "-smp", "1",
                        "-drive", "file=" + img + ",format=raw,if=ide",
                        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04");
                success = SUCCESS_EXIT;
            }
            p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("probe.log").toFile())
                    .start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return new Result(false, "a KVM guest did not boot within " + timeout.toMillis() + " ms");
            }
            if (p.exitValue() == success) {
                return new Result(true, kernel != null ? "a KVM guest booted its kernel" : "a KVM guest booted");
            }
            String log = Files.readString(dir.resolve("probe.log")).trim();
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

    private static byte[] bootSector() {
        byte[] b = new byte[512];
        byte[] code = {(byte) 0xB0, 0x01, (byte) 0xE6, (byte) 0xF4, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD};
        System.arraycopy(code, 0, b, 0, code.length);
        b[510] = 0x55;
        b[511] = (byte) 0xAA;
        return b;
    }
}
