package io.vboxmcp.spi;

/** Creates a {@link SignatureVerifier}; registered through {@code META-INF/services}. */
public interface SignatureVerifierFactory {
    /** @return the signature format, never null */
    String format();

    /** @return higher wins when two factories handle one format */
    default int priority() {
        return 0;
    }

    /** @return a verifier, never null */
    SignatureVerifier create(ProviderContext context) throws io.vboxmcp.VboxmcpException;
}
