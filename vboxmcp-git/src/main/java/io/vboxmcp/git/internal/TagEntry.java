package io.vboxmcp.git.internal;

import io.vboxmcp.SemanticVersion;
import org.eclipse.jgit.lib.ObjectId;

/**
 * One version tag of the mirror.
 *
 * @param folder    the template's folder (the tag's {@code name} group), null for a template at the (sub)directory root
 * @param refTarget what the tag ref points to (a tag object or, for a lightweight tag, a commit)
 */
record TagEntry(String tagName, String folder, SemanticVersion version, ObjectId refTarget) {

    /** @return the template's folder inside the repository, without trailing slash, empty for the root */
    String folderPath(String subdirectory) {
        if (folder == null) return subdirectory;
        return subdirectory.isEmpty() ? folder : subdirectory + "/" + folder;
    }
}
