package io.vboxmcp.spi.support;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.HypervisorException;
import io.vboxmcp.spi.ProviderContext;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

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
        return Duration.ofMillis(whole(context, key, 0, false, "a number of milliseconds").orElse(defaultMillis));
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
        return Duration.ofSeconds(whole(context, key, 1, true, "a positive number of seconds").orElse(defaultSeconds));
    }

    /** @return the whole number {@code key} is set to, empty if it is not set (or blank, if that counts as unset) */
    private static OptionalLong whole(ProviderContext context, String key, long min, boolean blankIsUnset,
                                      String expected) throws HypervisorException {
        Optional<String> v = context.config(key);
        if (v.isEmpty() || blankIsUnset && v.get().isBlank()) {
            return OptionalLong.empty();
        }
        try {
            long n = Long.parseLong(v.get().strip());
            if (n >= min) {
                return OptionalLong.of(n);
            }
        } catch (NumberFormatException e) {
            // reported below, with the key
        }
        throw new HypervisorException(ErrorCode.INVALID_ARGUMENT, key + " must be " + expected + ", not '" + v.get()
                + "'", null);
    }
}
