package io.vboxmcp.spi.support;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.spi.ProviderContext;

import java.time.Duration;
import java.util.Optional;

/**
 * Checked configuration values of a driver, read through {@link ProviderContext#config(String)}, with the key named
 * in the error a bad value gets.
 *
 * @since 0.3.0
 */
public final class DriverSettings {
    private DriverSettings() {
    }

    /**
     * A duration given in milliseconds.
     *
     * @param context       the provider context, never null
     * @param key           the configuration key, never null
     * @param defaultMillis the value when the key is not set
     * @return the duration, never null
     * @throws HypervisorException {@link ErrorCode#INVALID_ARGUMENT} if the value is not a non-negative whole number
     */
    public static Duration millis(ProviderContext context, String key, long defaultMillis) throws HypervisorException {
        Optional<String> v = context.config(key);
        if (v.isEmpty()) {
            return Duration.ofMillis(defaultMillis);
        }
        try {
            long ms = Long.parseLong(v.get().trim());
            if (ms < 0) {
                throw new NumberFormatException("negative");
            }
            return Duration.ofMillis(ms);
        } catch (NumberFormatException e) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, key + " must be a number of milliseconds, not "
                    + v.get(), null);
        }
    }

    /**
     * A duration given in whole seconds, for timeouts that must allow some time (a command that may not run at all
     * is never meant).
     *
     * @param context        the provider context, never null
     * @param key            the configuration key, never null
     * @param defaultSeconds the value when the key is not set or blank
     * @return the duration, never null
     * @throws HypervisorException {@link ErrorCode#INVALID_ARGUMENT} if the value is not a whole number of at least 1
     * @since 0.3.0
     */
    public static Duration seconds(ProviderContext context, String key, long defaultSeconds)
            throws HypervisorException {
        Optional<String> v = context.config(key);
        if (v.isEmpty() || v.get().isBlank()) {
            return Duration.ofSeconds(defaultSeconds);
        }
        try {
            long s = Long.parseLong(v.get().strip());
            if (s < 1) {
                throw new NumberFormatException("not positive");
            }
            return Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            throw new HypervisorException(ErrorCode.INVALID_ARGUMENT,
                    key + " must be a positive number of seconds, not '" + v.get() + "'", e);
        }
    }
}
