package io.vboxmcp.git.internal;

import io.vboxmcp.template.rules.internal.Printable;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.ObjectChecker;

/**
 * JGit's object checker (dot-git aliases, Windows and macOS rules, tree order, duplicate names) plus git fsck's
 * file-mode rule, which JGit leaves out: a tree entry's mode must be exactly one that Git itself writes
 * ({@code 100644}, {@code 100755}, {@code 40000}, {@code 120000}, {@code 160000}) (GIT-09).
 */
final class StrictObjectChecker extends ObjectChecker {
    StrictObjectChecker() {
        setSafeForWindows(true);
        setSafeForMacOS(true);
    }

    @Override
    public void checkTree(AnyObjectId id, byte[] raw) throws CorruptObjectException {
        super.checkTree(id, raw);
        int p = 0;
        while (p < raw.length) {
            int space = p;
            while (space < raw.length && raw[space] != ' ') space++;
            String mode = new String(raw, p, space - p, java.nio.charset.StandardCharsets.US_ASCII);
            if (!mode.equals("100644") && !mode.equals("100755") && !mode.equals("40000") && !mode.equals("120000")
                    && !mode.equals("160000")) {
                throw new CorruptObjectException("tree " + (id == null ? "" : id.name() + " ") + "has an entry with bad file mode "
                        + Printable.path(mode));
            }
            int nul = space;
            while (nul < raw.length && raw[nul] != 0) nul++;
            p = nul + 1 + 20;
        }
    }
}
