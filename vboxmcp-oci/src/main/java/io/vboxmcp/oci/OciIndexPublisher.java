package io.vboxmcp.oci;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.oci.internal.IndexTools;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a publisher does with a namespace's signed index: build it from what the registry holds, publish a signed
 * root or index, and verify a signed index against a root, as a consumer would. Signatures are made outside
 * ({@code ssh-keygen -Y sign -n vboxmcp-index -f KEY FILE}, or {@code vboxmcp index sign}). Thread-safe.
 */
public interface OciIndexPublisher {
    /** The SSHSIG namespace of root and index signatures. */
    String SIGNATURE_NAMESPACE = "vboxmcp-index";

    /**
     * Lists every template version in the namespace (catalog, tags, manifests) as an index document.
     *
     * @param version the new index version, at least 1; 0 for one more than the index the registry holds now
     * @param expires when the index stops being accepted, never null
     * @return the document's bytes, never null
     */
    byte[] build(long version, Instant expires) throws VboxmcpException;

    /**
     * Lists the namespace's template versions whose names match {@code names} as publisher {@code role}'s metadata
     * (a {@code vboxmcp-publisher} document), for the publisher to sign with its own keys. The index that follows
     * ({@link #build}) lists the newest pushed version of each publisher's metadata, and leaves out the names the
     * root delegates. Further delegations are added to the document by hand before signing.
     *
     * @param role    the publisher role the root (or another publisher) delegates to, never null
     * @param names   the name patterns delegated to it ({@code b-corp-*}), never null or empty
     * @param version the metadata version, at least 1; 0 for one more than the newest in the registry
     * @param expires when the metadata stops being accepted, never null
     * @return the document's bytes, never null
     * @throws UnsupportedOperationException in an implementation written against 0.2.0 (the one {@link #open} returns
     *         supports it); a default method so that adding it breaks no such implementation
     * @since 0.3.0
     */
    default byte[] buildPublisher(String role, List<String> names, long version, Instant expires) throws VboxmcpException {
        throw new UnsupportedOperationException("buildPublisher is not supported by " + getClass().getName());
    }

    /**
     * Publishes a document with detached signature files ({@code .sig} SSH, {@code .asc} OpenPGP) under tag
     * {@code index}, {@code root.N} for a root (N read from the document), or {@code publisher.ROLE.N} for a
     * publisher's metadata (recognised by its {@code _type}).
     *
     * @return the artifact's digest, never null
     */
    String push(Path document, List<Path> signatureFiles, boolean root) throws VboxmcpException;

    /**
     * Checks a root and an index as a consumer's first update would: the root self-signed by its threshold, the
     * index signed by the root's index threshold and not expired.
     *
     * @param index the index document; its signatures in {@code <index>.sig} / {@code .asc} beside it
     * @param root  the root document; its signatures beside it the same way
     * @return the index version, if valid
     * @throws IndexRefusedException naming the protection that refused it
     */
    long verify(Path index, Path root, Instant now) throws VboxmcpException;

    /**
     * As {@link #verify(Path, Path, Instant)}, then checks publisher metadata documents as the index lists them (the
     * version and bytes it names, unexpired) and every name they list as a consumer's lookup would: signed by the
     * keys of the delegation that leads to it, within its delegated names, within the delegation cap.
     *
     * @param index      the index document; its signatures in {@code <index>.sig} / {@code .asc} beside it
     * @param root       the root document; its signatures beside it the same way
     * @param publishers publisher metadata documents, each with its signatures beside it, never null
     * @param now        the time expiry is judged against, never null
     * @return the index version, if everything is valid
     * @throws IndexRefusedException naming the protection that refused a document or a name
     * @throws UnsupportedOperationException in an implementation written against 0.2.0
     * @since 0.3.0
     */
    default long verify(Path index, Path root, List<Path> publishers, Instant now) throws VboxmcpException {
        throw new UnsupportedOperationException("verify with publishers is not supported by " + getClass().getName());
    }

    /**
     * @param namespace {@code oci://HOST[:PORT]/NAMESPACE}, never null
     * @param options   source options (credentials-env, plain-http), never null
     * @param config    configuration values ({@link OciKeys}: Docker config, CA file, caps), never null
     * @param verifiers signature verifiers by format ({@code ssh}, {@code openpgp}), never null
     */
    static OciIndexPublisher open(URI namespace, Map<String, String> options,
                                  java.util.function.Function<String, java.util.Optional<String>> config,
                                  java.util.function.Function<String, java.util.Optional<io.vboxmcp.spi.SignatureVerifier>> verifiers)
            throws VboxmcpException {
        return IndexTools.open(namespace, options, config, verifiers);
    }
}
