package io.vboxmcp.cli.internal;

import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.publish.DefaultTemplatePublisher;
import io.vboxmcp.core.internal.verify.OpenPgpVerifierFactory;
import io.vboxmcp.core.internal.verify.SshVerifierFactory;
import io.vboxmcp.oci.OciIndexPublisher;
import io.vboxmcp.spi.SignatureVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

@Command(name = "index", header = "Build, sign, publish and verify a registry namespace's signed index",
    description = "The signed index (docs/oci.md) lists every template version of an oci:// namespace with its "
        + "digest; a source with a bootstrap root (-o root=FILE) trusts only what it lists, refuses older or expired "
        + "indexes and walks root rotations one version at a time. Signatures are plain SSH signatures in namespace "
        + "vboxmcp-index: 'vboxmcp index sign' or 'ssh-keygen -Y sign -n vboxmcp-index -f KEY FILE'.",
    subcommands = {IndexCommand.Build.class, IndexCommand.Sign.class, IndexCommand.Push.class, IndexCommand.Verify.class})
final class IndexCommand extends VboxmcpCommand.Sub {
    @Override
    int run(Session s) {
        throw usage("missing subcommand: build, sign, push or verify");
    }

    static Optional<SignatureVerifier> verifier(String format) {
        return switch (format) {
            case "ssh" -> Optional.of(new SshVerifierFactory().create(null));
            case "openpgp" -> Optional.of(new OpenPgpVerifierFactory().create(null));
            default -> Optional.empty();
        };
    }

    static OciIndexPublisher open(String namespace, Map<String, String> options) throws VboxmcpException {
        return OciIndexPublisher.open(URI.create(namespace), options,
                k -> Optional.ofNullable(System.getProperty("vboxmcp." + k)), IndexCommand::verifier);
    }

    @Command(name = "build", description = "Lists every template version in the namespace into an index document "
            + "(leaving out the names the root delegates, and listing each publisher's newest metadata), or with "
            + "--publisher the versions of the names delegated to one publisher into its metadata document.")
    static final class Build extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "oci://HOST[:PORT]/NAMESPACE")
        String namespace;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true, description = "Where to write index.json.")
        Path output;

        @Option(names = "--index-version", paramLabel = "N", defaultValue = "0",
                description = "The index version (default: one more than the registry's current index).")
        long version;

        @Option(names = "--expires-days", paramLabel = "DAYS", defaultValue = "30",
                description = "Days until the index stops being accepted (default ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--publisher", paramLabel = "ROLE",
                description = "Build publisher ROLE's metadata (pushed as publisher.ROLE.N) instead of the index.")
        String publisher;

        @Option(names = "--names", paramLabel = "PATTERN", split = ",",
                description = "With --publisher: the name patterns delegated to it (b-corp-*), comma-separated.")
        List<String> names;

        @Override
        int run(Session s) throws Exception {
            if (publisher != null && (names == null || names.isEmpty())) {
                throw usage("--publisher needs --names PATTERN[,PATTERN...]: the names delegated to " + publisher);
            }
            Instant expires = Instant.now().plus(Duration.ofDays(days));
            byte[] doc = s.step("index", "building", () -> publisher == null ? open(namespace, Map.of()).build(version, expires)
                    : open(namespace, Map.of()).buildPublisher(publisher, names, version, expires));
            Files.write(output, doc);
            s.result("wrote " + output + "; sign it: vboxmcp index sign " + output + " --key KEY");
            s.emitJson(true, Json.obj().put("index", output.toAbsolutePath().toString()));
            return Main.OK;
        }
    }

    @Command(name = "sign", description = "Signs a root or index document with an OpenSSH key; appends to FILE.sig.")
    static final class Sign extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "FILE")
        Path file;

        @Option(names = "--key", paramLabel = "KEY", required = true, description = "OpenSSH private key.")
        Path key;

        @Override
        int run(Session s) throws Exception {
            byte[] sig = new DefaultTemplatePublisher().signSsh(Files.readAllBytes(regularInput(file, "document")),
                    regularInput(key, "key"), new char[0], OciIndexPublisher.SIGNATURE_NAMESPACE);
            Path out = file.resolveSibling(file.getFileName() + ".sig");
            // several signers (a threshold): their signatures sit one after another in the .sig file
            Files.write(out, sig, Files.exists(out) ? new java.nio.file.OpenOption[]{java.nio.file.StandardOpenOption.APPEND}
                    : new java.nio.file.OpenOption[0]);
            s.result("signed " + file + " -> " + out);
            s.emitJson(true, Json.obj().put("signature", out.toAbsolutePath().toString()));
            return Main.OK;
        }
    }

    @Command(name = "push", description = "Publishes a signed index (tag 'index'), root (tag root.N) or publisher "
            + "metadata (tag publisher.ROLE.N) with FILE.sig/.asc.")
    static final class Push extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "oci://HOST[:PORT]/NAMESPACE")
        String namespace;

        @Parameters(index = "1", paramLabel = "FILE")
        Path file;

        @Option(names = "--root", description = "The document is a root (published as root.N).")
        boolean root;

        @Override
        int run(Session s) throws Exception {
            List<Path> sigs = new ArrayList<>();
            for (String ext : List.of(".sig", ".asc")) {
                Path p = file.resolveSibling(file.getFileName() + ext);
                if (Files.isRegularFile(p)) {
                    sigs.add(p);
                }
            }
            if (sigs.isEmpty()) {
                throw usage("no " + file.getFileName() + ".sig or .asc beside " + file + ": sign it first");
            }
            String digest = s.step("index", "publishing", () -> open(namespace, Map.of()).push(regularInput(file, "document"),
                    sigs, root));
            s.result("published " + file.getFileName() + " as " + digest);
            s.emitJson(true, Json.obj().put("digest", digest));
            return Main.OK;
        }
    }

    @Command(name = "verify", description = "Checks an index against a root as a consumer's first update would; with "
            + "--publisher, also the publishers' metadata and every name it lists through the delegations.")
    static final class Verify extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "INDEX")
        Path index;

        @Option(names = "--root", paramLabel = "ROOT", required = true)
        Path root;

        @Option(names = "--publisher", paramLabel = "FILE",
                description = "A publisher metadata document the index lists (signatures beside it); repeatable.")
        List<Path> publishers = new ArrayList<>();

        @Override
        int run(Session s) throws VboxmcpException, IOException {
            List<Path> pubs = new ArrayList<>();
            for (Path p : publishers) {
                pubs.add(regularInput(p, "publisher metadata"));
            }
            long v = OciIndexPublisher.open(URI.create("oci://127.0.0.1/verify"), Map.of(), k -> Optional.empty(),
                    IndexCommand::verifier).verify(regularInput(index, "index"), regularInput(root, "root"), pubs, Instant.now());
            s.result("index version " + v + " verifies against " + root);
            s.emitJson(true, Json.obj().put("version", v));
            return Main.OK;
        }
    }
}
