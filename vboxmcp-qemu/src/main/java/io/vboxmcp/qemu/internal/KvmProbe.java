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
 * Decides whether KVM really runs guests. On some hosts {@code /dev/kvm} exists but guests hang, so opening the
 * device proves nothing: the probe boots a one-sector guest that writes to QEMU's {@code isa-debug-exit} port
 * and counts only that exit as success. Runs once per JVM and emulator binary.
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
    static Result probeOnce(String qemu, Path kvmDevice, Duration timeout) {
        return CACHE.computeIfAbsent(qemu + "|" + kvmDevice, k -> probe(qemu, kvmDevice, timeout));
    }

    /** Probes without the cache (tests). */
    static Result probe(String qemu, Path kvmDevice, Duration timeout) {
        if (!Files.isReadable(kvmDevice) || !Files.isWritable(kvmDevice)) {
            return new Result(false, kvmDevice + " is not accessible");
        }
        Path dir = null;
        Process p = null;
        try {
            dir = Files.createTempDirectory("vboxmcp-kvm-probe");
            Path img = dir.resolve("probe.img");
            Files.write(img, BOOT_SECTOR);
            p = new ProcessBuilder(List.of(qemu, "-nodefaults", "-no-user-config", "-display", "none",
                    "-machine", "pc,accel=kvm", "-m", "16", "-smp", "1",
                    "-drive", "file=" + img + ",format=raw,if=ide",
                    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("probe.log").toFile())
                    .start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return new Result(false, "a KVM guest did not boot within " + timeout.toMillis() + " ms");
            }
            if (p.exitValue() == SUCCESS_EXIT) {
                return new Result(true, "a KVM guest booted");
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
