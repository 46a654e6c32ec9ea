package io.vboxmcp.template;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The local template repository under {@code <home>/templates}. Mutations are atomic (temp + rename) and
 * serialised by a file lock, across threads and processes; a failed install leaves the repository unchanged.
 *
 * @since 0.2.0
 */
public interface TemplateRepository {
    /**
     * @return every installed template version, sorted by name then version
     * @throws VboxmcpException if the repository cannot be read
     */
    List<TemplateInfo> list() throws VboxmcpException;

    /**
     * @param name never null
     * @return installed versions of {@code name}, ascending; empty if none
     * @throws VboxmcpException if the source cannot be read
     */
    List<SemanticVersion> versions(String name) throws VboxmcpException;

    /**
     * @param name    never null
     * @param version never null
     * @return the installed version, if present
     * @throws io.vboxmcp.TemplateValidationException if the stored document is invalid
     */
    Optional<InstalledTemplate> get(String name, SemanticVersion version) throws VboxmcpException;

    /**
     * Installs a template from a folder or a package file after validating (and, for packages, verifying) it.
     *
     * @param source a template folder or a {@code .tar.gz} package, never null
     * @return the installed template, never null
     * @throws io.vboxmcp.TemplateValidationException if the template is invalid
     * @throws VboxmcpException                       with {@link io.vboxmcp.ErrorCode#CONFLICT} if the same version
     *                                                with different content is installed
     */
    InstalledTemplate install(Path source) throws VboxmcpException;

    /**
     * @param name    never null
     * @param version null to remove every version
     * @return whether anything was removed
     * @throws VboxmcpException if the version exists but cannot be removed
     */
    boolean remove(String name, SemanticVersion version) throws VboxmcpException;

    /**
     * Installs the highest version matching {@code ref} from the configured sources (the local repository
     * excluded), verified under that source's trust policy before anything is extracted.
     *
     * @param ref never null
     * @return the installed template, never null
     * @throws io.vboxmcp.TemplateNotFoundException if no source offers a matching version
     */
    default InstalledTemplate install(io.vboxmcp.TemplateRef ref) throws VboxmcpException {
        throw new VboxmcpException(io.vboxmcp.ErrorCode.INVALID_ARGUMENT, "this repository installs from paths only");
    }

    /**
     * Installs a one-off share named by an immutable reference, for example
     * {@code oci://host/ns/name@sha256:<hex>}, verified against the keys pinned for the configured source whose
     * location it is under (else the global keys) before anything is extracted.
     *
     * @param reference never null
     * @return the installed template, never null
     * @throws VboxmcpException if the reference cannot be fetched, verified or installed; by default
     *                          {@link io.vboxmcp.ErrorCode#INVALID_ARGUMENT}
     */
    default InstalledTemplate install(java.net.URI reference) throws VboxmcpException {
        throw new VboxmcpException(io.vboxmcp.ErrorCode.INVALID_ARGUMENT, "this repository installs from paths only");
    }
}
