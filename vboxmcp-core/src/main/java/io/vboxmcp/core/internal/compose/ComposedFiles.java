package io.vboxmcp.core.internal.compose;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.template.TemplateLoader;
import io.vboxmcp.core.internal.archive.Manifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files a composed template provisions: every component's verified files layered in merge order into one
 * folder, a later component's file replacing an earlier one at the same path (the root's last), so a base's script
 * finds the base's {@code setup.sh}. Definitions, manifests, signatures and lockfiles stay out.
 */
public final class ComposedFiles {
    private ComposedFiles() {
    }

    /**
     * @param order  components in merge order
     * @param target a folder that does not exist yet
     * @return {@code target}, holding the layered files
     */
    public static Path layer(List<Component> order, Path target) throws VboxmcpException {
        try {
            Files.createDirectories(target);
            for (Component c : order) {
                Path from = c.directory();
                try (Stream<Path> walk = Files.walk(from)) {
                    for (Path p : walk.sorted().toList()) {
                        String rel = from.relativize(p).toString();
                        if (rel.isEmpty() || rel.equals(TemplateLoader.FILE_NAME) || rel.equals(Lockfile.FILE_NAME)
                                || Manifest.TRUST_FILES.contains(rel)) {
                            continue;
                        }
                        Path to = target.resolve(rel);
                        boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                        if (dir != Files.isDirectory(to, LinkOption.NOFOLLOW_LINKS) && Files.exists(to,
                                LinkOption.NOFOLLOW_LINKS)) {
                            throw new VboxmcpException(ErrorCode.TEMPLATE_INVALID, c.coordinates() + " has '" + rel
                                    + "' as a " + (dir ? "folder" : "file") + " where an earlier base or feature has a "
                                    + (dir ? "file" : "folder"));
                        }
                        if (dir) {
                            Files.createDirectories(to);
                        } else {
                            // verified folders hold only regular files; NOFOLLOW keeps it that way
                            Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS,
                                    StandardCopyOption.COPY_ATTRIBUTES);
                        }
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot gather the composed template's files into " + target + ": "
                    + e.getMessage(), e);
        }
    }
}
