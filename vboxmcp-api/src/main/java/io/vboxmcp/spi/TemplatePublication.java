package io.vboxmcp.spi;

import io.vboxmcp.SemanticVersion;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One verified, packed template version that core hands a {@link TemplateSource} to publish. Core has already
 * checked that the package's manifest matches its files and read the fields below from the package.
 *
 * @param name           template name, never null
 * @param version        template version, never null
 * @param description    may be null
 * @param tags           the template's {@code metadata.tags}, never null
 * @param author         may be null
 * @param manifestDigest {@code sha256:<hex>} of the canonical manifest (the template's identity), never null
 * @param packageFile    the reproducible {@code .tar.gz}, never null
 * @param signatures     detached signatures over the manifest, to travel beside the package, never null
 *
 * @since 0.2.0
 */
public record TemplatePublication(String name, SemanticVersion version, String description, List<String> tags,
                                  String author, String manifestDigest, Path packageFile,
                                  List<DetachedSignature> signatures) {
    /**
     * Checks the components (see the type's description).
     *
     * @param name as described above
     * @param version as described above
     * @param description as described above
     * @param tags as described above
     * @param author as described above
     * @param manifestDigest as described above
     * @param packageFile as described above
     * @param signatures as described above
     */
    public TemplatePublication {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        tags = tags == null ? List.of() : List.copyOf(tags);
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        Objects.requireNonNull(packageFile, "packageFile");
        signatures = List.copyOf(signatures);
    }
}
