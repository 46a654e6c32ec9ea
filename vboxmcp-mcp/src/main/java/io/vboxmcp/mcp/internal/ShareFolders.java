package io.vboxmcp.mcp.internal;

import io.vboxmcp.CreateVmRequest;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.mcp.McpPolicy;
import io.vboxmcp.template.SharedFolder;
import io.vboxmcp.template.TemplateDefinition;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The policy's shared folders: with a share root, every share of a template gets a folder the server makes,
 * {@code <root>/<vm>/<share>}, whatever host path the template names (EXE-02: neither the template nor the agent
 * chooses a host path). A share is writable only if the template asks for it and the policy lists its name; a
 * template asking for a writable share the policy does not grant is refused, naming the share. Folders are made
 * without following links (an existing link or file in their place is refused); at destroy the server removes the
 * ones left empty and keeps whatever the guest (or the operator) put there.
 */
final class ShareFolders {
    /** The template schema's share name pattern: no separators, no dot segments. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
    private static final Set<PosixFilePermission> VM_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> SHARE_DIR = PosixFilePermissions.fromString("rwxr-x---");

    private final McpPolicy policy;

    ShareFolders(McpPolicy policy) throws VboxmcpException {
        this.policy = policy;
        if (policy.shareRoot() != null) {
            // made at start, so that a dry run (which shares the root itself) finds a folder and creates nothing
            requireNoLinks(policy.shareRoot());
            directory(policy.shareRoot(), VM_DIR, "the policy's shared_folders.root");
            requireNoLinks(policy.shareRoot());
        }
    }

    /**
     * Checks the root of a policy file: absolute, normalized, not a link and, if it exists, a folder reached
     * through no link.
     *
     * @return an error message, or null if the root is acceptable
     */
    static String rootProblem(String raw) {
        Path p;
        try {
            p = Path.of(raw);
        } catch (RuntimeException e) {
            return "'" + raw + "' is not a path";
        }
        if (!p.isAbsolute() || !p.normalize().equals(p) || p.getParent() == null || raw.contains("/./")
                || raw.contains("/../") || raw.endsWith("/..") || raw.endsWith("/.")) {
            return "'" + raw + "' must be an absolute folder below / without '.' or '..' segments";
        }
        if (Files.isSymbolicLink(p)) {
            return "'" + raw + "' is a symbolic link; name the folder itself";
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            // the server makes it at start: its parent must then be a real folder reached through no link
            Path parent = p.getParent();
            try {
                if (Files.exists(parent) && !parent.toRealPath().equals(parent)) {
                    return "'" + raw + "' passes through a symbolic link (its folder is " + parent.toRealPath() + ")";
                }
            } catch (IOException e) {
                return "'" + raw + "' cannot be read: " + e.getMessage();
            }
        } else {
            if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                return "'" + raw + "' is not a folder";
            }
            try {
                if (!p.toRealPath().equals(p)) {
                    return "'" + raw + "' passes through a symbolic link (it is " + p.toRealPath() + ")";
                }
            } catch (IOException e) {
                return "'" + raw + "' cannot be read: " + e.getMessage();
            }
        }
        return null;
    }

    /**
     * What a create of {@code t} gets: each share's name, guest path and whether it is writable.
     *
     * @throws VboxmcpException {@link ErrorCode#POLICY_VIOLATION} if the policy refuses the template's shares
     */
    List<Map<String, Object>> offered(TemplateDefinition t) throws VboxmcpException {
        check(t);
        List<Map<String, Object>> out = new ArrayList<>();
        for (SharedFolder f : t.sharedFolders()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", f.name());
            m.put("guest_path", f.guestPath());
            m.put("writable", !f.readOnly());
            // where the host side lives is the operator's business; the agent learns only that it is per VM
            m.put("host_folder", policy.shareRoot() != null ? "made for this VM by the server, kept after destroy"
                    + " if not empty" : "the template's host path");
            out.add(m);
        }
        return out;
    }

    /** @return the shares as the audit record names them, e.g. {@code code:rw,datasets:ro}; "" for none */
    static String audited(TemplateDefinition t) {
        return String.join(",", t.sharedFolders().stream()
                .map(f -> f.name() + (f.readOnly() ? ":ro" : ":rw")).toList());
    }

    /**
     * Sets the host path and writability of each of the template's shares on {@code b}: the root itself for a dry
     * run (nothing is made), the VM's own folders for a create (made here).
     *
     * @throws VboxmcpException {@link ErrorCode#POLICY_VIOLATION} if the policy refuses the template's shares or a
     *                          folder in their place is a link or a file
     */
    CreateVmRequest.Builder apply(CreateVmRequest.Builder b, TemplateDefinition t, String vm, boolean create)
            throws VboxmcpException {
        check(t);
        if (t.sharedFolders().isEmpty() || policy.shareRoot() == null) {
            return b;  // no shares, or the 0.2.0 form: the template's own paths under the manager's roots
        }
        Path vmDir = policy.shareRoot().resolve(vm);
        if (create) {
            directory(vmDir, VM_DIR, "VM share folder");
        }
        for (SharedFolder f : t.sharedFolders()) {
            Path host = policy.shareRoot();
            if (create) {
                host = vmDir.resolve(f.name());
                directory(host, SHARE_DIR, "shared folder '" + f.name() + "'");
            }
            b.hostPath(f.name(), host.toString());
            if (!f.readOnly()) {
                b.allowWritableShare(f.name());
            }
        }
        return b;
    }

    /**
     * Removes the share folders of {@code vm} that are empty (and its folder if then empty), never following a
     * link; what the guest wrote stays for the operator. Best effort: a failure leaves folders behind, no more.
     */
    void release(String vm) {
        if (policy.shareRoot() == null || !NAME.matcher(vm).matches()) {
            return;
        }
        Path vmDir = policy.shareRoot().resolve(vm);
        if (!Files.isDirectory(vmDir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(vmDir)) {
            for (Path c : children) {
                if (Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) {
                    deleteIfEmpty(c);
                }
            }
        } catch (IOException e) {
            return;
        }
        deleteIfEmpty(vmDir);
    }

    private static void deleteIfEmpty(Path dir) {
        try {
            Files.delete(dir);  // refuses a folder that is not empty: the guest's files stay
        } catch (IOException keep) {
            // not empty, or gone
        }
    }

    private void check(TemplateDefinition t) throws VboxmcpException {
        if (t.sharedFolders().isEmpty()) {
            return;
        }
        if (!policy.allowSharedFolders()) {
            // EXE-02: an agent must never reach a host folder unless the operator said so
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "template " + t.coordinates() + " shares "
                    + t.sharedFolders().size() + " host folder(s) with the guest (" + audited(t) + "); this server's"
                    + " policy allows no shared folders");
        }
        for (SharedFolder f : t.sharedFolders()) {
            if (!NAME.matcher(f.name()).matches()) {
                throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "template " + t.coordinates() + " has a shared"
                        + " folder named '" + Args.shown(f.name()) + "', which is not a plain share name");
            }
            if (!f.readOnly() && !policy.writableShares().contains(f.name())) {
                throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "shared folder '" + f.name() + "' of template "
                        + t.coordinates() + " asks to be writable from the guest; this server's policy "
                        + (policy.writableShares().isEmpty() ? "grants no writable shares"
                        : "grants writable shares only to " + String.join(", ", policy.writableShares().stream()
                        .sorted().toList())) + " (shared_folders.writable)");
            }
        }
    }

    /** Makes {@code dir} with {@code perms}, or accepts an existing real folder; a link or file there is refused. */
    private static void directory(Path dir, Set<PosixFilePermission> perms, String what) throws VboxmcpException {
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(perms));
            Files.setPosixFilePermissions(dir, perms);  // the umask may have taken bits the mode needs to be exact
        } catch (FileAlreadyExistsException e) {
            if (Files.isSymbolicLink(dir) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, what + ": " + dir + " exists and is a link or"
                        + " not a folder; refused");
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new VboxmcpException(ErrorCode.IO, what + ": cannot make " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void requireNoLinks(Path root) throws VboxmcpException {
        String problem = rootProblem(root.toString());
        if (problem != null) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "the policy's shared_folders.root " + problem);
        }
    }
}
