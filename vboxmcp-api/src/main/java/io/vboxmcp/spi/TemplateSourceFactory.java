package io.vboxmcp.spi;

import io.vboxmcp.SourceConfig;
import io.vboxmcp.VboxmcpException;

import java.net.URI;

/**
 * Creates {@link TemplateSource}s for the URIs it supports; registered through {@code META-INF/services}.
 *
 * @since 0.2.0
 */
public interface TemplateSourceFactory {
    /** @return a short id ({@code local}, {@code git}), never null */
    String id();

    /**
     * @param uri where the source lives, never null
     * @return whether this factory can serve {@code uri}
     */
    boolean supports(URI uri);

    /** @return higher wins when two factories support one URI */
    default int priority() {
        return 0;
    }

    /**
     * @param config  never null
     * @param context never null
     * @return the source, never null
     * @throws VboxmcpException if the provider cannot start (reported as a provider problem, never fatal)
     */
    TemplateSource create(SourceConfig config, ProviderContext context) throws VboxmcpException;
}
