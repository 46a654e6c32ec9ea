package io.vboxmcp.core.internal.image;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.CoreKeys;
import io.vboxmcp.image.ImageCache;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The image catalogs a manager consults, from its configuration, in order (the first listing a reference wins):
 * <ol>
 *   <li>the URIs or paths of {@link CoreKeys#IMAGE_CATALOG}, in the order given;</li>
 *   <li>{@code <home>/images/catalog.json}, if it exists;</li>
 *   <li>the built-in catalog ({@link ImageCache#BUILTIN_CATALOG}), unless {@link CoreKeys#IMAGE_CATALOG_DEFAULTS} is
 *       {@code false}.</li>
 * </ol>
 * So a user catalog overrides a built-in entry by listing the same reference.
 */
public final class ImageCatalogs {
    private ImageCatalogs() {
    }

    /**
     * @param home   the manager's home, never null
     * @param config reads a configuration key, never null
     * @return the manager's image store
     * @throws VboxmcpException {@code INVALID_ARGUMENT} if a key has a value that is not allowed (a boolean that is not
     *                          {@code true}/{@code false}: an air-gapped machine must not read "no" as "yes")
     */
    public static ImageStore store(Path home, Function<String, Optional<String>> config) throws VboxmcpException {
        List<URI> catalogs = new ArrayList<>();
        Optional<String> configured = config.apply(CoreKeys.IMAGE_CATALOG);
        if (configured.isPresent()) {
            for (String part : configured.get().split(",")) {
                String p = part.trim();
                if (!p.isEmpty()) {
                    catalogs.add(uri(p));
                }
            }
        }
        Path homeCatalog = home.resolve("images").resolve("catalog.json");
        if (Files.exists(homeCatalog)) {
            catalogs.add(homeCatalog.toUri());
        }
        if (bool(config, CoreKeys.IMAGE_CATALOG_DEFAULTS, true)) {
            catalogs.add(ImageCache.BUILTIN_CATALOG);
        }
        String verify = config.apply(CoreKeys.IMAGE_VERIFY).orElse("changed").trim().toLowerCase(Locale.ROOT);
        if (!verify.equals("changed") && !verify.equals("always")) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "configuration key '" + CoreKeys.IMAGE_VERIFY
                    + "' must be 'changed' or 'always', got '" + verify + "'");
        }
        java.util.function.Supplier<HttpClient> http = () -> HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(20)).build();
        return new ImageStore(home, catalogs, http, verify.equals("always"), Clock.systemUTC(),
                seconds(config, CoreKeys.IMAGE_IDLE_TIMEOUT, 60), seconds(config, CoreKeys.IMAGE_TOTAL_TIMEOUT, 21_600));
    }

    private static Duration seconds(Function<String, Optional<String>> config, String key, long dflt)
            throws VboxmcpException {
        String v = config.apply(key).orElse(Long.toString(dflt)).trim();
        try {
            long s = Long.parseLong(v);
            if (s > 0 && s <= 7 * 24 * 3600) {
                return Duration.ofSeconds(s);
            }
        } catch (NumberFormatException ignored) {
            // falls through to the typed error
        }
        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "configuration key '" + key
                + "' must be a number of seconds from 1 to 604800, got '" + v + "'");
    }

    private static URI uri(String s) throws VboxmcpException {
        try {
            // "C:\x" or "/x" are paths; "file:", "http:", "https:" are URIs
            return s.matches("[a-zA-Z][a-zA-Z0-9+.-]+:.*") ? URI.create(s) : Path.of(s).toAbsolutePath().toUri();
        } catch (IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "configuration key '" + CoreKeys.IMAGE_CATALOG
                    + "' holds a malformed URI or path: " + s, e);
        }
    }

    private static boolean bool(Function<String, Optional<String>> config, String key, boolean def)
            throws VboxmcpException {
        Optional<String> v = config.apply(key);
        if (v.isEmpty()) {
            return def;
        }
        String s = v.get().trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return s.equals("true");
        }
        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "configuration key '" + key
                + "' must be true or false, got '" + v.get() + "'");
    }
}
