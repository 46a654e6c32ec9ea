package io.vboxmcp.core.internal.verify;

import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.SignatureVerifierFactory;

/** Registers {@link SshSignatures} for the {@code ssh} format. */
public final class SshVerifierFactory implements SignatureVerifierFactory {
    @Override
    public String format() {
        return SshSignatures.FORMAT;
    }

    @Override
    public SignatureVerifier create(ProviderContext context) {
        return new SshSignatures();
    }
}
