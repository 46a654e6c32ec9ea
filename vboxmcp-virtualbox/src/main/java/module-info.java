/**
 * The VirtualBox driver. Its only dependency is {@code io.vboxmcp.api}, so it is a named module: it exports its keys
 * class and provides its driver factory to {@link java.util.ServiceLoader}; the implementation
 * ({@code io.vboxmcp.virtualbox.internal}) stays hidden from applications on the module path.
 *
 * @since 0.2.0
 */
module io.vboxmcp.virtualbox {
    requires io.vboxmcp.api;
    requires java.net.http; // the vboxwebsrv SOAP adapter
    requires java.xml;      // its SOAP envelopes

    exports io.vboxmcp.virtualbox;

    provides io.vboxmcp.spi.HypervisorDriverFactory with io.vboxmcp.virtualbox.internal.VirtualBoxDriverFactory;
}
