package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.trust.PublishResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

@Command(name = "publish", header = "Publish a template folder or package to an OCI registry",
    description = "Pushes the reproducible package as an OCI artifact to oci://HOST[:PORT]/NAMESPACE/<name>, tagged "
        + "X.Y.Z, X.Y, X and latest (the short tags only while this is the highest release of their line), its "
        + "signatures beside it. Publishing a version again with other content is refused (versions are immutable). "
        + "Credentials: the options of a configured source under that location, else the Docker config.json.")
final class PublishCommand extends VboxmcpCommand.Sub {
    @Parameters(index = "0", paramLabel = "DIR|PKG", description = "A signed template folder or a .tar.gz package.")
    Path what;

    @Parameters(index = "1", paramLabel = "oci://HOST[:PORT]/NAMESPACE", description = "Where to publish.")
    String target;

    @Override
    int run(Session s) throws Exception {
        if (!Files.exists(what, LinkOption.NOFOLLOW_LINKS)) {
            throw usage(what + " does not exist (give a template folder or a .tar.gz package)");
        }
        URI uri;
        try {
            uri = URI.create(target);
        } catch (IllegalArgumentException e) {
            throw usage("'" + Session.safe(target) + "' is not a URL");
        }
        if (!"oci".equalsIgnoreCase(uri.getScheme()) || uri.getRawUserInfo() != null) {
            throw usage("give oci://HOST[:PORT]/NAMESPACE without credentials (they come from the Docker config.json "
                    + "or a configured source's --credentials-env)");
        }
        PublishResult r = s.step("publish", Session.safe(target), () -> s.manager().publisher().publish(what, uri));
        s.result((r.unchanged() ? "already published " : "published ") + r.reference());
        s.say("tags: " + String.join(", ", r.tags()) + "; signatures: " + r.signatures() + "; template "
                + r.manifestDigest());
        if (r.signatures() == 0) {
            s.warn("the package is unsigned: sources with pinned keys will refuse it ('vboxmcp sign' before 'pack')");
        }
        ObjectNode doc = Json.obj().put("reference", r.reference()).put("digest", r.artifactDigest())
                .put("manifestDigest", r.manifestDigest()).put("signatures", r.signatures()).put("unchanged", r.unchanged());
        ArrayNode tags = doc.putArray("tags");
        r.tags().forEach(tags::add);
        s.emitJson(true, doc);
        return Main.OK;
    }

}
