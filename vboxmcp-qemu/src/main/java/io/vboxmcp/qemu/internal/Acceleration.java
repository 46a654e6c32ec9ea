package io.vboxmcp.qemu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Chooses KVM or TCG for a start. {@code qemu.accel=kvm} and {@code tcg} are obeyed as given; {@code auto} uses
 * KVM only when a Linux kernel booted under KVM on this host since its last boot ({@link KvmProbe}, remembered in
 * {@link KvmProbeCache}). The kernel is, in this order: {@code qemu.kvm.probe-kernel}, the image's own kernel,
 * the kernel of an earlier probe on this boot (the answer is about the host, not the image), the newest readable
 * {@code /boot/vmlinuz*}. Without any, the answer is TCG: a slow guest is better than one that hangs, and a
 * real-mode probe passes on hosts where Linux then hangs.
 */
final class Acceleration {
    /**
     * @param accel  {@code kvm} or {@code tcg}
     * @param reason one sentence for progress events
     * @param probed whether this call started a probe guest (false: the answer was given or remembered)
     */
    record Decision(String accel, String reason, boolean probed) { }

    private static final Map<String, KvmProbe.Result> JVM_ONLY = new ConcurrentHashMap<>();

    private final String qemu;
    private final Path kvmDevice;
    private final Duration timeout;
    private final Path cacheFile;
    private final Path bootIdFile;
    private final Path configuredKernel;
    private final Path bootDir;

    Acceleration(String qemu, Path kvmDevice, Duration timeout, Path cacheFile, Path bootIdFile, Path configuredKernel,
                 Path bootDir) {
        this.qemu = qemu;
        this.kvmDevice = kvmDevice;
        this.timeout = timeout;
        this.cacheFile = cacheFile;
        this.bootIdFile = bootIdFile;
        this.configuredKernel = configuredKernel;
        this.bootDir = bootDir;
    }

    static Acceleration of(QemuSettings s) {
        return new Acceleration(s.qemu(), s.kvmDevice(), s.kvmProbeTimeout(), s.kvmProbeCache(), s.bootIdFile(),
                s.kvmProbeKernel(), Path.of("/boot"));
    }

    /** @param imageKernel the image's kernel for direct boot, null if it boots from its disk */
    Decision decide(String mode, Path imageKernel) {
        switch (mode) {
            case "kvm":
                return new Decision("kvm", "qemu.accel=kvm", false);
            case "tcg":
                return new Decision("tcg", "qemu.accel=tcg", false);
            default:
                break;
        }
        if (!Files.isReadable(kvmDevice) || !Files.isWritable(kvmDevice)) {
            return new Decision("tcg", kvmDevice + " is not accessible", false);
        }
        Optional<KvmProbeCache.Host> host = KvmProbeCache.host(qemu, bootIdFile);
        Optional<KvmProbeCache.Entry> cached = KvmProbeCache.read(cacheFile);
        Optional<KvmProbeCache.Entry> sameBoot = cached.filter(e -> host.isPresent() && e.host().equals(host.get()));
        Path kernel = readable(configuredKernel).or(() -> readable(imageKernel)).orElse(null);
        if (kernel == null) {
            if (sameBoot.isPresent()) {
                return remembered(sameBoot.get());
            }
            // an earlier probe on this boot with another emulator binary still names a kernel that boots
            kernel = cached.filter(e -> host.isPresent() && e.host().bootId().equals(host.get().bootId()))
                    .flatMap(e -> readable(Path.of(e.kernel())))
                    .or(this::bootKernel)
                    .orElse(null);
        }
        if (kernel == null) {
            return new Decision("tcg", "no Linux kernel to probe KVM with (the image boots from its disk; set "
                    + "qemu.kvm.probe-kernel to probe, or qemu.accel=kvm to force KVM)", false);
        }
        // the same file as last time needs no hashing: a cold JVM takes about half a second for 8 MB of kernel
        if (sameBoot.isPresent() && sameBoot.get().sameKernelFile(kernel)) {
            return remembered(sameBoot.get());
        }
        String digest;
        long size;
        long mtime;
        try {
            size = Files.size(kernel);
            mtime = Files.getLastModifiedTime(kernel).toMillis();
            digest = KvmProbeCache.sha256(kernel);
        } catch (IOException e) {
            return new Decision("tcg", "cannot read the probe kernel " + kernel + ": " + e.getMessage(), false);
        }
        if (sameBoot.isPresent() && sameBoot.get().kernelSha256().equals(digest)) {
            return remembered(sameBoot.get());
        }
        if (host.isEmpty()) {
            // no boot id (or emulator not found): nothing to key a file on, so remember it for this JVM only
            String key = qemu + "|" + kvmDevice + "|" + digest;
            KvmProbe.Result known = JVM_ONLY.get(key);
            if (known != null) {
                return new Decision(known.kvmUsable() ? "kvm" : "tcg", known.reason() + " (remembered by this process)", false);
            }
            KvmProbe.Result r = KvmProbe.probe(qemu, kvmDevice, timeout, kernel);
            JVM_ONLY.put(key, r);
            return new Decision(r.kvmUsable() ? "kvm" : "tcg", r.reason() + " (probed with " + kernel + ")", true);
        }
        KvmProbe.Result r = KvmProbe.probe(qemu, kvmDevice, timeout, kernel);
        KvmProbeCache.write(cacheFile, new KvmProbeCache.Entry(host.get(), kernel.toAbsolutePath().toString(), size,
                mtime, digest, r.kvmUsable(), r.reason()));
        return new Decision(r.kvmUsable() ? "kvm" : "tcg", r.reason() + " (probed with " + kernel + ")", true);
    }

    private Decision remembered(KvmProbeCache.Entry e) {
        return new Decision(e.kvmUsable() ? "kvm" : "tcg", e.reason() + " (probed with " + e.kernel()
                + " earlier on this boot, remembered in " + cacheFile + ")", false);
    }

    private Optional<Path> bootKernel() {
        if (!Files.isDirectory(bootDir)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(bootDir)) {
            // the newest file: version strings do not sort by name (6.1.0-9 after 6.1.0-57)
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz"))
                    .filter(p -> Files.isRegularFile(p) && Files.isReadable(p))
                    .max(Comparator.comparingLong(Acceleration::mtime));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static long mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private static Optional<Path> readable(Path p) {
        return p != null && Files.isRegularFile(p) && Files.isReadable(p) ? Optional.of(p) : Optional.empty();
    }
}
