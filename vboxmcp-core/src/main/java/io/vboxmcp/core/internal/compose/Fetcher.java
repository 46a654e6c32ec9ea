package io.vboxmcp.core.internal.compose;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.resolve.Resolver;

import java.util.function.Predicate;

/** Where a composition finds its bases and features: the manager's sources and trust policy ({@link SourceFetcher}). */
public interface Fetcher {
    /**
     * @param acceptable which versions every requirement so far admits
     * @param wanted     how an error names the requirements
     * @return the highest acceptable version across the sources, never null
     * @throws io.vboxmcp.TemplateNotFoundException if no source has one
     */
    Resolver.Resolution choose(String name, Predicate<SemanticVersion> acceptable, String wanted)
            throws VboxmcpException;

    /**
     * Fetches, verifies with the trust policy of the source it came from, and loads one version.
     *
     * @throws VboxmcpException as the create's own fetch, verify and load steps (a base from an untrusted source is
     *                          refused here)
     */
    Component fetch(String name, Resolver.Resolution at, Component.Role role) throws VboxmcpException;
}
