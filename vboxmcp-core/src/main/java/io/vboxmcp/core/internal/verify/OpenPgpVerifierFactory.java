package io.vboxmcp.core.internal.verify;

import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.SignatureVerifierFactory;

/** Registers {@link OpenPgp} for the {@code openpgp} format. */
public final class OpenPgpVerifierFactory implements SignatureVerifierFactory {
    @Override
    public String format() {
        return OpenPgp.FORMAT;
    }

    @Override
    public SignatureVerifier create(ProviderContext context) {
        return new OpenPgp();
    }
}
