/**
 * The public surface of vboxmcp: {@link io.vboxmcp.VmManager} and its model, the exceptions, the trust and image
 * cache APIs, and the provider SPIs ({@link io.vboxmcp.spi}). Depends on nothing but {@code java.base}.
 *
 * <p>Every package is exported: they are all API. An implementation of {@link io.vboxmcp.VmManager} (vboxmcp-core)
 * is found through {@link io.vboxmcp.spi.VmManagerFactory} with {@link java.util.ServiceLoader}.
 *
 * @since 0.2.0
 */
module io.vboxmcp.api {
    exports io.vboxmcp;
    exports io.vboxmcp.image;
    exports io.vboxmcp.spi;
    exports io.vboxmcp.spi.support;
    exports io.vboxmcp.template;
    exports io.vboxmcp.trust;

    uses io.vboxmcp.spi.VmManagerFactory;
}
