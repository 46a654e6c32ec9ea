package io.vboxmcp.virtualbox.internal;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.MachineSpec;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The master VMs every machine is cloned from: one per base-image digest (imported from an OVA/OVF, or built around
 * a VDI copy of a disk image) with a snapshot {@code base}, registered once under a lock held across threads and
 * processes, so the second VM from a template is a linked clone made in about a second, as Vagrant does.
 */
final class MasterVms {
    private static final Map<Path, ReentrantLock> MASTER_LOCKS = new ConcurrentHashMap<>();

    private final VirtualBoxPort vbox;
    private final Path masterFolder;
    private final String masterOverride;
    private final VdiCache vdis;

    /**
     * @param masterOverride null: one master per image digest ({@link #masterName}); else always clone this VM
     * @param vdis           converts qcow2 and raw images to VDI for new masters
     */
    MasterVms(VirtualBoxPort vbox, Path masterFolder, String masterOverride, VdiCache vdis) {
        this.vbox = vbox;
        this.masterFolder = masterFolder;
        this.masterOverride = masterOverride;
        this.vdis = vdis;
    }

    /** @return the name of the master VM for a base image */
    static String masterName(BaseImage image) {
        // "sha256:<hex>" or "sha512:<hex>": the name keeps the algorithm's initial so the two never collide
        String digest = image.digest();
        int colon = digest.indexOf(':');
        String prefix = colon > 0 && digest.startsWith("sha512") ? "s5-" : "";
        String hex = colon >= 0 ? digest.substring(colon + 1) : digest;
        hex = hex.replaceAll("[^0-9a-fA-F]", "").toLowerCase(Locale.ROOT);
        return "vboxmcp-master-" + prefix + hex.substring(0, Math.min(16, hex.length()));
    }

    /** Registers the master for the spec's image once (import or disk copy, then snapshot "base"), under a lock. */
    String ensure(MachineSpec spec, Consumer<String> progress) throws VboxmcpException, IOException {
        BaseImage image = spec.image();
        String master = masterOverride != null ? masterOverride : masterName(image);
        Files.createDirectories(masterFolder);
        Path lockFile = masterFolder.resolve(master + ".lock");
        ReentrantLock jvmLock = MASTER_LOCKS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            if (vbox.status(master).isEmpty()) {
                deleteTree(masterFolder.resolve(master));
                String format = image.diskFormat().toLowerCase(Locale.ROOT);
                progress.accept("registering master " + master + " from " + image.disk().getFileName());
                if (format.equals("ova") || format.equals("ovf")) {
                    vbox.importAppliance(image.disk(), master, masterFolder);
                } else if (VdiCache.needsConversion(format)) {
                    progress.accept("converting " + image.disk().getFileName() + " (" + format
                            + ") to VDI, once per image");
                    vbox.createFromDisk(master, vdis.vdiFor(image), "vdi", masterFolder);
                } else {
                    vbox.createFromDisk(master, image.disk(), format, masterFolder);
                }
                if (image.firmware().requiresUefi()) {
                    progress.accept("UEFI firmware for " + master);
                    try {
                        vbox.useEfiFirmware(master);
                    } catch (VboxmcpException e) {
                        // a BIOS master under this digest's name would be reused by every later create
                        try {
                            vbox.delete(master);
                        } catch (VboxmcpException cleanup) {
                            e.addSuppressed(cleanup);
                        }
                        throw e;
                    }
                }
            }
            if (!vbox.snapshots(master).contains(VirtualBoxDriver.SNAPSHOT)) {
                vbox.takeSnapshot(master, VirtualBoxDriver.SNAPSHOT);
            }
            return master;
        } finally {
            jvmLock.unlock();
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
