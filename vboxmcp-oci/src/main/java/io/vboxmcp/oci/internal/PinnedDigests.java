package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The artifact digest of each version when it was first accepted from this source: a tag moved to other content
 * later is refused, as a moved Git tag is. Thread-safe.
 */
final class PinnedDigests {
    private final Path file;

    PinnedDigests(Path file) {
        this.file = file;
    }

    synchronized void check(String name, SemanticVersion v, String digest) throws VboxmcpException {
        JsonNode pinned = read().get(name + "@" + v);
        if (pinned != null && !pinned.asText().equals(digest)) {
            throw new VboxmcpException(ErrorCode.CONFLICT, name + " " + v + " now points at " + digest + " but was "
                    + pinned.asText() + " when first accepted from this source; a moved tag is refused (versions are "
                    + "immutable)");
        }
    }

    synchronized void record(String name, SemanticVersion v, String digest) throws VboxmcpException {
        ObjectNode n = read();
        if (!digest.equals(n.path(name + "@" + v).asText())) {
            n.put(name + "@" + v, digest);
            AtomicWrite.write(file, Artifacts.bytes(n));
        }
    }

    private ObjectNode read() throws VboxmcpException {
        if (!Files.isRegularFile(file)) {
            return Artifacts.JSON.createObjectNode();
        }
        try {
            JsonNode n = Artifacts.JSON.readTree(Files.readAllBytes(file));
            return n instanceof ObjectNode o ? o : Artifacts.JSON.createObjectNode();
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot read pinned digests " + file + ": " + e.getMessage(), e);
        }
    }
}
