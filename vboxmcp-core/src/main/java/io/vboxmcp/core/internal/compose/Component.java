package io.vboxmcp.core.internal.compose;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.core.internal.template.TemplateDocument;
import io.vboxmcp.template.TemplateComponent;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One verified template of a composition: the root being created, a base it extends or a feature it requires.
 *
 * @param sourceId  where it was resolved; for a root read from a folder, the folder
 * @param digest    {@code sha256:} manifest digest, null only for a root read from an unsigned folder
 * @param signer    signer fingerprint, null if unsigned (allowed by policy)
 * @param document  the validated document
 * @param directory its verified files
 */
public record Component(String name, SemanticVersion version, Role role, String sourceId, String digest,
                        String signer, TemplateDocument document, Path directory) {
    /** How a component entered the graph. */
    public enum Role {
        ROOT("root"), BASE("extends"), FEATURE("requires");

        private final String word;

        Role(String word) {
            this.word = word;
        }

        /** @return the document field that brings a component of this role in ({@code extends}, {@code requires}) */
        public String word() {
            return word;
        }
    }

    public Component {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(sourceId, "sourceId");
        Objects.requireNonNull(document, "document");
    }

    /** @return {@code name@version} */
    public String coordinates() {
        return name + "@" + version;
    }

    /** @return the component as the public plan shows it */
    public TemplateComponent toApi() {
        return new TemplateComponent(name, version, role.word(), sourceId, digest, signer);
    }
}
