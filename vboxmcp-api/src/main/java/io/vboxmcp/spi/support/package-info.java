/**
 * Small helpers every hypervisor driver needs the same way, so that providers (which depend on the api only) do not
 * each keep a copy: progress events of a driver step ({@link io.vboxmcp.spi.support.DriverProgress}), the host
 * ports of a new machine's forwards ({@link io.vboxmcp.spi.support.ForwardedPorts}), 9p shared folder tags and the
 * guest's mount command ({@link io.vboxmcp.spi.support.NinePShares}) and checked configuration values
 * ({@link io.vboxmcp.spi.support.DriverSettings}). Drivers may use them; nothing in the SPI requires them.
 *
 * @since 0.3.0
 */
package io.vboxmcp.spi.support;
