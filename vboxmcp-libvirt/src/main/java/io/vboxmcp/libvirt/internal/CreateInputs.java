package io.vboxmcp.libvirt.internal;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.VmPlan;
import io.vboxmcp.spi.BaseImage;
import io.vboxmcp.spi.support.NinePShares;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What {@code create} checks before it makes anything: the base image's files and format, the shared folders. */
final class CreateInputs {
    private CreateInputs() {
    }

    /** The image's files exist and its disk is qcow2 or raw. */
    static void checkImage(BaseImage image) throws HypervisorException {
        for (Path p : new Path[] {image.disk(), image.kernel(), image.initrd()}) {
            if (p != null && !Files.isRegularFile(p)) {
                throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "base image file " + p + " does not exist", null);
            }
        }
        if (!image.diskFormat().equals("qcow2") && !image.diskFormat().equals("raw")) {
            throw new HypervisorException(ErrorCode.IMAGE_INVALID, "the libvirt driver boots qcow2 and raw images, not "
                    + image.diskFormat(), null);
        }
    }

    /** Shared folders as 9p shares; refused on a remote connection, where the host paths are not this machine's. */
    static List<DomainRecord.Share> shares(VmPlan plan, LibvirtSettings settings) throws HypervisorException {
        if (!plan.sharedFolders().isEmpty() && settings.remote()) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "shared folders need a local libvirt connection "
                    + "(qemu:///system or qemu:///session): " + settings.uri() + " reaches another host, where "
                    + plan.sharedFolders().get(0).hostPath() + " is not this machine's folder", null);
        }
        List<DomainRecord.Share> shares = new ArrayList<>();
        for (PlannedSharedFolder f : plan.sharedFolders()) {
            if (!Files.isDirectory(f.hostPath())) {
                throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, "shared folder " + f.name() + ": "
                        + f.hostPath() + " is not a directory", null);
            }
            shares.add(new DomainRecord.Share(f.name(), NinePShares.mountTag(f.name()), f.hostPath().toAbsolutePath().toString(),
                    f.guestPath(), f.readOnly()));
        }
        return shares;
    }
}
