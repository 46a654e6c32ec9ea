package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.LockResult;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.CoreKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code vboxmcp lock DIR} and {@code vboxmcp update DIR}: write a template folder's {@code vboxmcp.lock}. */
final class LockCommands {
    private LockCommands() {
    }

    /** What both commands share: the folder and the image catalogs that pin the base image. */
    abstract static class LockOptions extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "DIR", description = "The template folder.")
        Path dir;

        @Option(names = "--image-catalog", paramLabel = "FILE|URL", description = "Image catalog that resolves the "
                + "base image to pin (repeatable; default $VBOXMCP_IMAGE_CATALOG, then <home>/images/catalog.json).")
        List<String> catalogs = new ArrayList<>();

        int lock(Session s, boolean update) throws VboxmcpException {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw usage("template folder " + dir + " is not a folder");
            }
            List<String> uris = VmCommands.catalogUris(catalogs);
            LockResult r = s.manager(b -> {
                if (!uris.isEmpty()) {
                    b.property(CoreKeys.IMAGE_CATALOG, String.join(",", uris));
                }
            }).lock(dir.toAbsolutePath().normalize(), update);
            s.result("wrote " + r.file() + (r.changes().isEmpty() ? " (unchanged)" : ""));
            r.changes().forEach(c -> s.say("  " + c));
            ObjectNode doc = Json.obj().put("file", r.file().toString()).put("lockfile", r.content());
            ArrayNode changes = doc.putArray("changes");
            r.changes().forEach(changes::add);
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "lock", header = "Write the template folder's vboxmcp.lock",
        description = "Resolves the bases (extends) and features (requires) of the template in DIR through the "
            + "sources, verifies each, and writes DIR/vboxmcp.lock: name, version, source, manifest digest and signer "
            + "of each, and the base image digest. Versions already locked are kept while they still match.")
    static final class Lock extends LockOptions {
        @Override
        int run(Session s) throws VboxmcpException {
            return lock(s, false);
        }
    }

    @Command(name = "update", header = "Refresh the template folder's vboxmcp.lock",
        description = "Like 'lock', but resolves everything afresh: the newest versions the ranges allow.")
    static final class Update extends LockOptions {
        @Override
        int run(Session s) throws VboxmcpException {
            return lock(s, true);
        }
    }
}
