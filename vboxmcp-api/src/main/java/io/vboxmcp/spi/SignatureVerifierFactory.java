package io.vboxmcp.spi;

/**
 * Creates a {@link SignatureVerifier}; registered through {@code META-INF/services}.
 *
 * @since 0.2.0
 */
public interface SignatureVerifierFactory {
    /** @return the signature format, never null */
    String format();

    /** @return higher wins when two factories handle one format */
    default int priority() {
        return 0;
    }

    /**
     * @param context what the manager offers its providers, never null
     * @return a verifier, never null
     * @throws io.vboxmcp.VboxmcpException if the provider cannot start (reported as a provider problem, never fatal)
     */
    SignatureVerifier create(ProviderContext context) throws io.vboxmcp.VboxmcpException;
}
