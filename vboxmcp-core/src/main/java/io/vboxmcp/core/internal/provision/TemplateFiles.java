package io.vboxmcp.core.internal.provision;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.archive.Manifest;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The verified template's own files (its {@code requirements.txt}, {@code setup.sh}, ...) in the guest: uploaded once
 * as one tar to {@value #GUEST_DIR} (root's, world-readable), the default working directory of scripts and exported to
 * them as {@code VBOXMCP_TEMPLATE_DIR}. The definition, manifest and signatures stay on the host.
 */
final class TemplateFiles {
    static final String GUEST_DIR = "/var/lib/vboxmcp/template";
    static final String ENV = "VBOXMCP_TEMPLATE_DIR";
    /** Largest total size uploaded: template folders carry scripts and small files, not images. */
    static final long MAX_BYTES = 64L << 20;
    static final int MAX_FILES = 10_000;
    static final String ITEM = "template files";

    private TemplateFiles() {
    }

    /**
     * @return a tar of the files to upload (uid 0, modes 0644/0755), empty if there are none
     * @throws ProvisioningException if the folder holds a link or special file, or more than the caps
     */
    static byte[] tar(Path dir) throws VboxmcpException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> !p.equals(dir)).sorted().toList();
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read the template folder " + dir, e);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long total = 0;
        int count = 0;
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Path p : files) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (rel.equals(TemplateLoader.FILE_NAME) || Manifest.TRUST_FILES.contains(rel)) {
                    continue;
                }
                boolean isDir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                if (!isDir && !Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    throw GuestSteps.refused(ITEM, "the template holds '" + rel + "', which is neither a file nor a "
                            + "folder (links are not uploaded)");
                }
                long size = isDir ? 0 : Files.size(p);
                total += size;
                if (++count > MAX_FILES || total > MAX_BYTES) {
                    throw GuestSteps.refused(ITEM, "the template's files exceed " + MAX_FILES + " files or "
                            + (MAX_BYTES >> 20) + " MiB; refusing to upload them to the guest");
                }
                TarArchiveEntry e = new TarArchiveEntry(isDir ? rel + "/" : rel);
                e.setIds(0, 0);
                e.setMode(isDir || Files.isExecutable(p) ? 0755 : 0644);
                e.setSize(size);
                e.setModTime(0);
                tar.putArchiveEntry(e);
                if (!isDir) {
                    Files.copy(p, tar);
                }
                tar.closeArchiveEntry();
            }
            if (count == 0) {
                return new byte[0];
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not pack the template's files", e);
        }
        return bytes.toByteArray();
    }

    /** Uploads the files (if any) and unpacks them to {@link #GUEST_DIR}, replacing an earlier copy. */
    static void upload(GuestSteps steps, Path dir) throws VboxmcpException {
        byte[] tar = dir == null ? new byte[0] : tar(dir);
        String archive = GUEST_DIR + ".tar";
        if (tar.length > 0) {
            steps.emit(ITEM, "uploading " + tar.length + " bytes to " + GUEST_DIR);
            steps.guest.upload(tar, archive, 0600);
        }
        steps.run(ITEM, "rm -rf " + GUEST_DIR + " && mkdir -p " + GUEST_DIR + " && chmod 755 /var/lib/vboxmcp "
                + GUEST_DIR + (tar.length > 0 ? " && tar -xf " + archive + " -C " + GUEST_DIR + " && rm -f " + archive
                : ""));
    }

    /**
     * @return the command that copies the template's files into a script's working directory, run as the script's
     * user; a file already there is never replaced (nor a link followed)
     */
    static String copyInto(String workingDir) {
        String d = GuestSteps.q(workingDir);
        return "cd " + GUEST_DIR + " && find . -mindepth 1 -type d -exec sh -c 'for d do mkdir -p \"$0/$d\" || exit 1; "
                + "done' " + d + " {} + && find . -type f -exec sh -c 'for f do [ -e \"$0/$f\" ] || [ -h \"$0/$f\" ] || "
                + "cp \"$f\" \"$0/$f\" || exit 1; done' " + d + " {} +";
    }
}
