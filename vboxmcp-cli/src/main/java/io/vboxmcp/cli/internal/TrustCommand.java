package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.trust.PinnedKey;
import io.vboxmcp.trust.TrustStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;

/** {@code trust add|list|remove}: public keys pinned per template source under {@code <home>/trust}. */
@Command(name = "trust", header = "Manage public keys pinned per source",
        description = "Manages the public keys pinned per template source.",
        subcommands = {TrustCommand.Add.class, TrustCommand.ListKeys.class, TrustCommand.Remove.class})
final class TrustCommand extends VboxmcpCommand.Sub {
    @Override
    int run(Session s) {
        throw usage("missing subcommand: add, list or remove");
    }

    static String checkSource(VboxmcpCommand.Sub cmd, String source) {
        if (!source.equals(TrustStore.GLOBAL) && !TemplateRef.isValidName(source)) {
            throw cmd.usage("'" + source + "' is not a source name");
        }
        return source;
    }

    @Command(name = "add", description = "Pins a public key (armored OpenPGP or one OpenSSH public key line) for a "
            + "source, or for every source with the default --source global.")
    static final class Add extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "KEYFILE", description = "Public key file.")
        Path keyFile;

        @Option(names = "--source", paramLabel = "NAME", defaultValue = TrustStore.GLOBAL,
                description = "Source the key may sign for (default: ${DEFAULT-VALUE}, every source).")
        String source;

        @Override
        int run(Session s) throws VboxmcpException {
            checkSource(this, source);
            regularInput(keyFile, "key file");
            PinnedKey k = s.manager().trust().add(source, keyFile);
            s.result("pinned " + k.format() + " key " + k.fingerprint() + " (" + k.algorithm()
                    + (k.label().isEmpty() ? "" : ", " + k.label()) + ") for " + k.sourceId());
            ObjectNode doc = Json.obj();
            doc.set("key", Json.key(k));
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "list", description = "Lists pinned keys (all sources, or one with --source).")
    static final class ListKeys extends VboxmcpCommand.Sub {
        @Option(names = "--source", paramLabel = "NAME", description = "Only the keys pinned for this source.")
        String source;

        @Override
        int run(Session s) throws VboxmcpException {
            List<PinnedKey> keys = source == null ? s.manager().trust().listAll()
                    : s.manager().trust().list(checkSource(this, source));
            if (keys.isEmpty()) {
                s.say("no keys pinned" + (source == null ? "" : " for " + source));
            } else {
                s.result(String.format("%-16s %-8s %-60s %s", "SOURCE", "FORMAT", "FINGERPRINT", "LABEL"));
                for (PinnedKey k : keys) {
                    s.result(String.format("%-16s %-8s %-60s %s", k.sourceId(), k.format(), k.fingerprint(),
                            k.label()));
                }
            }
            ArrayNode a = Json.arr();
            keys.forEach(k -> a.add(Json.key(k)));
            ObjectNode doc = Json.obj();
            doc.set("keys", a);
            s.emitJson(true, doc);
            return Main.OK;
        }
    }

    @Command(name = "remove", description = "Unpins a key by fingerprint.")
    static final class Remove extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "FINGERPRINT", description = "As 'vboxmcp trust list' prints it.")
        String fingerprint;

        @Option(names = "--source", paramLabel = "NAME", defaultValue = TrustStore.GLOBAL,
                description = "Source the key is pinned for (default: ${DEFAULT-VALUE}).")
        String source;

        @Override
        int run(Session s) throws VboxmcpException {
            checkSource(this, source);
            if (!s.manager().trust().remove(source, fingerprint)) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "no key " + fingerprint + " is pinned for "
                        + source + " (see 'vboxmcp trust list')");
            }
            s.result("removed " + fingerprint + " from " + source);
            s.emitJson(true, Json.obj().put("source", source).put("fingerprint", fingerprint));
            return Main.OK;
        }
    }
}
