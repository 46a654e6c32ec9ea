package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.virtualbox.VirtualBoxKeys;
import io.vboxmcp.virtualbox.internal.cli.CommandResult;
import io.vboxmcp.virtualbox.internal.cli.CommandRunner;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * VDI copies of catalog images VirtualBox cannot read itself (qcow2, vhdx, and raw, which {@code convertfromraw}
 * would copy once per master anyway), made once per image digest with {@code qemu-img convert -O vdi} into
 * {@code <folder>/<digest hex>.vdi}. The conversion writes a temporary file beside the target and renames it, under
 * a file lock (and a lock per JVM, because a file lock is per process), so a VDI in the folder is always complete
 * and concurrent creates convert once.
 */
public final class VdiCache {
    private static final Map<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

    private final String qemuImg;
    private final Path folder;
    private final CommandRunner runner;
    private final Duration timeout;

    /**
     * @param qemuImg path or command name of {@code qemu-img}
     * @param folder  where the VDI files are kept
     * @param timeout how long one conversion may take
     */
    public VdiCache(String qemuImg, Path folder, CommandRunner runner, Duration timeout) {
        this.qemuImg = qemuImg;
        this.folder = folder;
        this.runner = runner;
        this.timeout = timeout;
    }

    /**
     * @return whether the driver must convert this image format before VirtualBox can use it: qcow2 (unreadable),
     *         raw (would be copied per master anyway) and vhdx (VirtualBox's VHDX support is limited)
     */
    public static boolean needsConversion(String diskFormat) {
        String f = diskFormat.toLowerCase(Locale.ROOT);
        return f.equals("qcow2") || f.equals("raw") || f.equals("vhdx");
    }

    /** @return the image's VDI, converting it first if this digest has none yet */
    public Path vdiFor(BaseImage image) throws VboxmcpException {
        Path target = folder.resolve(fileName(image.digest()));
        if (Files.isRegularFile(target)) {
            return target;
        }
        String exe = locate();
        ReentrantLock jvmLock = LOCKS.computeIfAbsent(target.toAbsolutePath().normalize(), k -> new ReentrantLock());
        jvmLock.lock();
        Path tmp = null;
        try {
            Files.createDirectories(folder);
            try (FileChannel ch = FileChannel.open(folder.resolve(target.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                if (Files.isRegularFile(target)) {
                    return target; // another process converted it while this one waited
                }
                tmp = Files.createTempFile(folder, ".convert-", ".vdi");
                CommandResult r = runner.run(List.of(exe, "convert", "-q", "-f", image.diskFormat().toLowerCase(Locale.ROOT),
                        "-O", "vdi", image.disk().toAbsolutePath().toString(), tmp.toString()), Map.of(), timeout);
                if (r.exitCode() != 0) {
                    throw new HypervisorException("qemu-img could not convert " + image.disk() + " to VDI (exit "
                            + r.exitCode() + "): " + (r.stderr() + r.stdout()).strip());
                }
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target);
                }
                tmp = null;
                return target;
            }
        } catch (IOException e) {
            throw new HypervisorException(ErrorCode.IO, "could not convert " + image.disk() + " to VDI in " + folder, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a stray temporary file is harmless: its name never matches a digest
                }
            }
            jvmLock.unlock();
        }
    }

    /** {@code sha256:ab..} → {@code sha256-ab...vdi}; anything but hex digits in the digest is refused. */
    static String fileName(String digest) throws HypervisorException {
        int colon = digest.indexOf(':');
        String alg = colon < 0 ? "" : digest.substring(0, colon).toLowerCase(Locale.ROOT);
        String hex = colon < 0 ? "" : digest.substring(colon + 1).toLowerCase(Locale.ROOT);
        if (!alg.matches("sha(256|512)") || !hex.matches("[0-9a-f]{64,128}")) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "base image digest '" + digest
                    + "' is not sha256:<hex> or sha512:<hex>", null);
        }
        return alg + "-" + hex + ".vdi";
    }

    private String locate() throws HypervisorException {
        boolean found;
        if (qemuImg.contains("/") || qemuImg.contains(File.separator)) {
            found = Files.isExecutable(Path.of(qemuImg));
        } else {
            found = false;
            for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!d.isEmpty() && Files.isExecutable(Path.of(d, qemuImg))) {
                    found = true;
                    break;
                }
            }
        }
        if (!found) {
            throw new HypervisorException(ErrorCode.HYPERVISOR, "VirtualBox cannot read qcow2 or raw images and "
                    + "qemu-img ('" + qemuImg + "') was not found to convert them to VDI; install the Debian package "
                    + "qemu-utils or set " + VirtualBoxKeys.QEMU_IMG, null);
        }
        return qemuImg;
    }
}
