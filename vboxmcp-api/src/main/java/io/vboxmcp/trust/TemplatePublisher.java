package io.vboxmcp.trust;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VerificationResult;

import java.nio.file.Path;
import java.util.List;

/**
 * What a template author needs to publish a template: write its canonical manifest, sign the manifest with an
 * OpenPGP or OpenSSH key file, pack the folder into a reproducible package, and check the result against public keys.
 * Every step can also be done with plain {@code sha256sum}, {@code gpg} and {@code ssh-keygen} (see docs/trust.md).
 * Thread-safe.
 *
 * @since 0.2.0
 */
public interface TemplatePublisher {
    /** The canonical manifest, at the root of a template folder or package. Signatures sign exactly its bytes. */
    String MANIFEST_FILE = "vboxmcp.manifest";
    /** Detached armored OpenPGP signature(s) over the manifest ({@code gpg --detach-sign --armor}). */
    String OPENPGP_SIGNATURE_FILE = "vboxmcp.manifest.asc";
    /** SSH signature over the manifest ({@code ssh-keygen -Y sign -n vboxmcp-template}). */
    String SSH_SIGNATURE_FILE = "vboxmcp.manifest.sig";
    /** The SSHSIG namespace every template signature must use. */
    String SSH_NAMESPACE = "vboxmcp-template";

    /**
     * Writes {@link #MANIFEST_FILE} into {@code dir}, listing every file (except the manifest and its signatures).
     *
     * @param dir     the template folder, never null
     * @param name    the template name, never null
     * @param version the template version, never null
     * @return the manifest digest {@code sha256:<hex>}, the template's identity, never null
     * @throws VboxmcpException {@code ARCHIVE_INVALID} if the folder holds something a package cannot (symlinks,
     *                          special files, {@code .git}, unsafe names); {@code IO} on write failure
     */
    String writeManifest(Path dir, String name, SemanticVersion version) throws VboxmcpException;

    /**
     * Signs the folder's manifest with an OpenPGP secret key and writes {@link #OPENPGP_SIGNATURE_FILE}.
     *
     * @param dir           a folder holding an up-to-date {@link #MANIFEST_FILE}, never null
     * @param secretKeyFile an armored or binary secret key ({@code gpg --export-secret-keys --armor}), never null
     * @param passphrase    the key's passphrase, empty if unprotected, never null
     * @return the signature file written, never null
     * @throws VboxmcpException {@code INVALID_ARGUMENT} if the key cannot be read, decrypted or cannot sign;
     *                          {@code DIGEST_MISMATCH} if the manifest does not match the folder
     */
    Path signOpenPgp(Path dir, Path secretKeyFile, char[] passphrase) throws VboxmcpException;

    /**
     * Signs the folder's manifest with an OpenSSH private key (Ed25519, ECDSA or RSA) and writes
     * {@link #SSH_SIGNATURE_FILE}, byte-compatible with {@code ssh-keygen -Y sign -n vboxmcp-template}.
     *
     * @param dir            a folder holding an up-to-date {@link #MANIFEST_FILE}, never null
     * @param privateKeyFile an OpenSSH private key file ({@code -----BEGIN OPENSSH PRIVATE KEY-----}), never null
     * @param passphrase     the key's passphrase, empty if unprotected, never null
     * @return the signature file written, never null
     * @throws VboxmcpException {@code INVALID_ARGUMENT} if the key cannot be read or decrypted;
     *                          {@code DIGEST_MISMATCH} if the manifest does not match the folder
     */
    Path signSsh(Path dir, Path privateKeyFile, char[] passphrase) throws VboxmcpException;

    /**
     * Packs a folder into a deterministic {@code .tar.gz}: packing the same folder twice gives identical bytes.
     * The folder must hold a manifest that matches its files.
     *
     * @param dir a template folder with {@link #MANIFEST_FILE}, never null
     * @param out the package file to write (replaced atomically), never null
     * @return {@code sha256:<hex>} of the package bytes, never null
     * @throws VboxmcpException {@code ARCHIVE_INVALID} or {@code DIGEST_MISMATCH} if the folder cannot be packed
     */
    String pack(Path dir, Path out) throws VboxmcpException;

    /**
     * Verifies a template folder or package as a consumer would: manifest against files, and at least one signature
     * by one of the given public keys. Extracts nothing to disk.
     *
     * @param folderOrPackage a template folder or a {@code .tar.gz} package, never null
     * @param publicKeyFiles  armored OpenPGP public keys or OpenSSH public key lines, never null, not empty
     * @return the successful result with the signer's fingerprint, never null
     * @throws io.vboxmcp.SignatureVerificationException if no signature verifies or files do not match the manifest
     * @throws io.vboxmcp.ArchiveException if the package is malformed or unsafe
     */
    VerificationResult verify(Path folderOrPackage, List<Path> publicKeyFiles) throws VboxmcpException;

    /**
     * Publishes a template folder (packed first) or package to a registry, for example
     * {@code oci://registry.example.com/team}: the package as an OCI artifact tagged {@code X.Y.Z}, {@code X.Y},
     * {@code X} and {@code latest} (the last three only while this is the highest version of that line), its
     * signatures beside it. The package's manifest must match its files; signing is the author's business before.
     *
     * @param folderOrPackage a template folder with an up-to-date manifest, or a {@code .tar.gz} package, never null
     * @param target          the registry namespace, never null
     * @return what the registry now holds, never null
     * @throws VboxmcpException {@code CONFLICT} if the version is published with other content (versions are
     *                          immutable); {@code SOURCE_UNAVAILABLE} if the registry fails; {@code INVALID_ARGUMENT}
     *                          if no provider supports {@code target}
     */
    default PublishResult publish(Path folderOrPackage, java.net.URI target) throws VboxmcpException {
        throw new VboxmcpException(io.vboxmcp.ErrorCode.INVALID_ARGUMENT, "this publisher cannot publish to " + target);
    }
}
