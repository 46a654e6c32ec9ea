package io.vboxmcp.core.internal.archive;

import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.ArchiveException;
import io.vboxmcp.VboxmcpException;

import java.nio.file.Path;
import java.util.Map;

/**
 * The file rules every command that reads a template folder applies, the same ones {@code install} and package
 * extraction apply (one home for them): regular files and folders only, no symbolic links, FIFOs, devices or
 * sockets, portable relative names without {@code ..} or {@code .git}, no case collisions (ARC-01..12), and the
 * package size and entry caps (ARC-13, ARC-14), checked on sizes before any file is read or copied.
 */
public final class TemplateFiles {
    private TemplateFiles() {
    }

    /**
     * @param dir    a template folder (not reached through a link)
     * @param limits the caps packages get
     * @return every file below {@code dir} (trust files at the root excepted) with its size, sorted
     * @throws ArchiveException naming the first file that breaks a rule; no file content was read
     */
    public static Map<String, Long> check(Path dir, SafeExtractor.Limits limits) throws VboxmcpException {
        Map<String, Long> files = Manifest.listFiles(dir);
        if (files.size() > limits.maxEntries()) {
            throw new ArchiveException("template folder " + dir + " holds more than " + limits.maxEntries() + " files (ARC-14)");
        }
        long total = 0;
        for (Map.Entry<String, Long> e : files.entrySet()) {
            if (e.getValue() > limits.maxEntryBytes()) {
                throw new ArchiveException("file '" + Printable.path(e.getKey()) + "' is larger than "
                        + limits.maxEntryBytes() + " bytes (ARC-14)");
            }
            total += e.getValue();
            if (total > limits.maxTotalBytes()) {
                throw new ArchiveException("template folder " + dir + " holds more than " + limits.maxTotalBytes()
                        + " bytes (ARC-13)");
            }
        }
        return files;
    }
}
