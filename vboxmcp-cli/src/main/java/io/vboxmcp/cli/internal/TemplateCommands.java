package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VerificationResult;
import io.vboxmcp.Violation;
import io.vboxmcp.core.internal.manager.TemplateValidation;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.trust.TemplatePublisher;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Commands for template authors: validate, init, pack, sign, verify. */
final class TemplateCommands {
    private TemplateCommands() {
    }

    @Command(name = "validate", header = "Check templates: every problem as file:line:column: /pointer: message",
        description = "Checks template folders or files against the schema and semantic rules; "
            + "prints every problem as file:line:column: /pointer: message.")
    static final class Validate extends VboxmcpCommand.Sub {
        @Parameters(arity = "1..*", paramLabel = "PATH", description = "Template folder or template-definition.yaml.")
        List<Path> paths;

        @Override
        int run(Session s) throws VboxmcpException {
            boolean allValid = true;
            ArrayNode results = Json.arr();
            for (Path p : paths) {
                ObjectNode r = results.addObject().put("path", p.toString());
                try {
                    // no manager: validating needs neither providers nor the home (a fast start, issue #13)
                    TemplateDefinition d = TemplateValidation.validate(p);
                    r.put("valid", true).put("template", d.coordinates()).putArray("violations");
                    s.say(p + ": valid (" + d.coordinates() + ")");
                } catch (TemplateValidationException e) {
                    allValid = false;
                    r.put("valid", false).set("violations", Json.violations(e.violations()));
                    for (Violation v : e.violations()) {
                        s.result(v.toString());
                    }
                } catch (VboxmcpException e) {
                    if (e.code() != ErrorCode.INVALID_ARGUMENT && e.code() != ErrorCode.IO
                            && e.code() != ErrorCode.TEMPLATE_INVALID && e.code() != ErrorCode.ARCHIVE_INVALID) {
                        throw e;
                    }
                    allValid = false;
                    Violation v = new Violation(p.toString(), 0, 0, "", e.getMessage());
                    r.put("valid", false).set("violations", Json.violations(List.of(v)));
                    s.result(v.toString());
                }
            }
            ObjectNode doc = Json.obj();
            doc.set("results", results);
            s.emitJson(allValid, doc);
            if (!allValid && !s.json()) {
                long bad = 0;
                for (var n : results) {
                    bad += n.path("valid").asBoolean() ? 0 : 1;
                }
                s.error(bad + " of " + paths.size() + " template" + (paths.size() == 1 ? "" : "s")
                        + " invalid");
            }
            return allValid ? Main.OK : Main.FAILED;
        }
    }

    @Command(name = "init", header = "Create a new template folder that validates",
        description = "Creates a template folder NAME that validates, to edit from there.")
    static final class Init extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "NAME", description = "Template name (lower-case letters, digits, '-').")
        String name;

        @Option(names = "--dir", paramLabel = "DIR", description = "Create the folder under DIR (default: current folder).")
        Path dir;

        @Option(names = "--base-image", paramLabel = "REF", defaultValue = "vboxmcp-test:1",
                description = "base_image of the new template (default: ${DEFAULT-VALUE}, the test image).")
        String baseImage;

        @Override
        int run(Session s) throws Exception {
            if (!TemplateRef.isValidName(name)) {
                throw usage("'" + name + "' is not a template name: use lower-case letters, digits and '-', "
                        + "starting with a letter or digit, at most 63 characters");
            }
            if (!baseImage.matches("[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}")) {
                throw usage("'" + baseImage + "' is not an image reference");
            }
            Path parent = (dir == null ? Path.of("") : dir).toAbsolutePath().normalize();
            Path target = parent.resolve(name);
            if (Files.exists(target)) {
                throw new VboxmcpException(ErrorCode.CONFLICT, target + " already exists; nothing was written");
            }
            if (!Files.isDirectory(parent)) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, parent + " is not a folder");
            }
            // written beside the target and renamed into place only once it validates
            Path tmp;
            try {
                tmp = Files.createTempDirectory(parent, "." + name + ".init-");
            } catch (IOException e) {
                throw new VboxmcpException(ErrorCode.IO, "cannot create a folder in " + parent + " ("
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                        + "); nothing was written", e);
            }
            try {
                Files.writeString(tmp.resolve("template-definition.yaml"), definition(), StandardCharsets.UTF_8);
                Files.writeString(tmp.resolve("README.md"), readme(), StandardCharsets.UTF_8);
                TemplateDefinition d = s.manager().validate(tmp);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                s.say("created " + target + " (" + d.coordinates() + ")");
                s.say("next: edit " + target.resolve("template-definition.yaml") + ", then run 'vboxmcp validate "
                        + name + "'");
                s.emitJson(true, Json.obj().put("path", target.toString()).put("template", d.coordinates()));
                return Main.OK;
            } catch (IOException e) {
                throw new VboxmcpException(ErrorCode.IO, "cannot write the new template in " + parent + " ("
                        + e.getClass().getSimpleName() + "); nothing was written", e);
            } finally {
                AtomicFiles.deleteTree(tmp);
            }
        }

        private String definition() {
            String author = System.getProperty("user.name", "unknown").replaceAll("[^A-Za-z0-9 ._@-]", "");
            return """
                    # vboxmcp template definition; the fields are described in docs/templates.md and
                    # schema/template-definition.schema.json. Check changes with: vboxmcp validate <folder>
                    name: "%1$s"
                    version: "0.1.0"
                    description: "TODO: one line saying what this VM is for"
                    author: "%2$s"
                    base_image: "%3$s"
                    min_ram: 256     # MB
                    min_disk: 512    # MB
                    min_cores: 1

                    environment:
                      GREETING: "hello from %1$s"

                    # guest TCP ports forwarded to 127.0.0.1 on the host
                    ports: []

                    # run in the guest in this order, with /bin/sh -c
                    scripts:
                      - name: Say hello
                        command: echo "$GREETING" > /tmp/hello.txt
                        run_as: root
                        timeout: 60s

                    metadata:
                      tags: ["example"]
                      license: "MIT"
                    """.formatted(name, author, baseImage);
        }

        private String readme() {
            return "# " + name + "\n\nA vboxmcp template. Validate, pack and sign it with:\n\n"
                    + "    vboxmcp validate " + name + "\n"
                    + "    vboxmcp sign " + name + " --key ~/.ssh/id_ed25519\n"
                    + "    vboxmcp pack " + name + "\n";
        }
    }

    @Command(name = "pack", header = "Pack a template folder into a reproducible .tar.gz; print its digest",
        description = "Writes a deterministic .tar.gz package of a template folder and prints "
            + "its sha256 digest. Writes the folder's manifest first unless the folder is already signed.")
    static final class Pack extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "DIR", description = "Template folder.")
        Path dir;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Package file (default NAME-VERSION.tar.gz).")
        Path output;

        @Override
        int run(Session s) throws VboxmcpException {
            if (!Files.isDirectory(dir)) {
                throw usage(dir + " is not a template folder");
            }
            TemplatePublisher pub = s.manager().publisher();
            TemplateDefinition d = s.manager().validate(dir);
            boolean signed = Files.exists(dir.resolve(TemplatePublisher.OPENPGP_SIGNATURE_FILE))
                    || Files.exists(dir.resolve(TemplatePublisher.SSH_SIGNATURE_FILE));
            if (!signed) {
                pub.writeManifest(dir, d.name(), d.version());
            }
            Path out = output != null ? output : Path.of(d.name() + "-" + d.version() + ".tar.gz");
            String digest = pub.pack(dir, out);
            s.result(digest + "  " + out);
            if (!signed) {
                s.warn("the package is unsigned; sign the folder first ('vboxmcp sign " + dir + " --key FILE') "
                        + "for sources that require signatures");
            }
            s.emitJson(true, Json.obj().put("package", out.toAbsolutePath().toString()).put("digest", digest)
                    .put("template", d.coordinates()).put("signed", signed));
            return Main.OK;
        }
    }

    @Command(name = "sign", header = "Sign a template folder with an OpenPGP or SSH key",
        description = "Signs a template folder's manifest with an OpenPGP or OpenSSH private key; "
            + "writes the detached signature beside the manifest. The passphrase comes from the environment "
            + "variable named by --passphrase-env, else from a prompt on a terminal.")
    static final class Sign extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "PATH", description = "Template folder or its vboxmcp.manifest.")
        Path path;

        @Option(names = "--key", required = true, paramLabel = "FILE",
                description = "Private key: OpenSSH (id_ed25519) or armored OpenPGP (gpg --export-secret-keys --armor).")
        Path key;

        @Option(names = "--format", paramLabel = "FORMAT", description = "openpgp or ssh (default: from the key file).")
        String format;

        @Option(names = "--passphrase-env", paramLabel = "VAR", defaultValue = "VBOXMCP_KEY_PASSPHRASE",
                description = "Environment variable holding the key's passphrase (default ${DEFAULT-VALUE}).")
        String passphraseEnv;

        @Override
        int run(Session s) throws Exception {
            Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
            if (!Files.isDirectory(path) && !path.getFileName().toString().equals(TemplatePublisher.MANIFEST_FILE)) {
                if (path.getFileName().toString().endsWith(".tar.gz") || path.getFileName().toString().endsWith(".tgz")) {
                    throw usage("sign the template folder before packing it: a package carries its signature inside");
                }
                throw usage(path + " is neither a template folder nor a " + TemplatePublisher.MANIFEST_FILE);
            }
            regularInput(key, "key file");
            String fmt = format != null ? format.toLowerCase(Locale.ROOT) : detectFormat(key);
            if (!fmt.equals("openpgp") && !fmt.equals("ssh")) {
                throw usage("--format must be openpgp or ssh, not '" + fmt + "'");
            }
            TemplatePublisher pub = s.manager().publisher();
            TemplateDefinition d = s.manager().validate(dir);
            // the manifest is deterministic: rewriting an unchanged folder keeps existing signatures valid
            String digest = pub.writeManifest(dir, d.name(), d.version());
            String env = System.getenv(passphraseEnv);
            char[] pass = env == null ? new char[0] : env.toCharArray();
            Path sig;
            try {
                sig = sign(pub, dir, fmt, pass);
            } catch (VboxmcpException e) {
                Console console = System.console();
                if (env != null || console == null || e.code() != ErrorCode.INVALID_ARGUMENT) {
                    throw e;
                }
                char[] typed = console.readPassword("passphrase for %s: ", key);
                if (typed == null) {
                    throw e;
                }
                sig = sign(pub, dir, fmt, typed);
                java.util.Arrays.fill(typed, ' ');
            }
            s.result("signed " + d.coordinates() + " (" + digest + "): " + sig);
            s.emitJson(true, Json.obj().put("template", d.coordinates()).put("manifestDigest", digest)
                    .put("signature", sig.toAbsolutePath().toString()).put("format", fmt));
            return Main.OK;
        }

        private Path sign(TemplatePublisher pub, Path dir, String fmt, char[] pass) throws VboxmcpException {
            return fmt.equals("ssh") ? pub.signSsh(dir, key, pass) : pub.signOpenPgp(dir, key, pass);
        }

        private String detectFormat(Path file) throws IOException {
            byte[] head;
            try (InputStream in = Files.newInputStream(file)) {
                head = in.readNBytes(4096);
            }
            String text = new String(head, StandardCharsets.ISO_8859_1);
            if (text.contains("BEGIN OPENSSH PRIVATE KEY")) {
                return "ssh";
            }
            if (text.contains("BEGIN PGP PRIVATE KEY BLOCK") || (head.length > 0 && (head[0] & 0x80) != 0)) {
                return "openpgp";
            }
            throw usage("cannot tell the format of " + file + "; give --format openpgp or --format ssh");
        }
    }

    @Command(name = "verify", header = "Verify a template's signature; print the signer or the reason",
        description = "Verifies a template folder or package: files against the manifest and a "
            + "signature by a trusted key. Prints the signer or the reason it is not trusted.")
    static final class Verify extends VboxmcpCommand.Sub {
        @Parameters(index = "0", paramLabel = "PATH", description = "Template folder or .tar.gz package.")
        Path path;

        @ArgGroup(exclusive = true)
        Keys keys;

        static final class Keys {
            @Option(names = "--trust", paramLabel = "DIR",
                    description = "Folder of public keys (*.asc, *.pub, *.gpg); default: every key pinned under <home>/trust.")
            Path trustDir;

            @Option(names = "--key", paramLabel = "FILE", description = "Public key file (repeatable).")
            List<Path> keyFiles;
        }

        @Override
        int run(Session s) throws Exception {
            if (!Files.exists(path)) {
                throw usage(path + " does not exist");
            }
            List<Path> files;
            if (keys != null && keys.keyFiles != null) {
                for (Path k : keys.keyFiles) {
                    regularInput(k, "key file");
                }
                files = keys.keyFiles;
            } else {
                Path d = keys != null && keys.trustDir != null ? keys.trustDir : s.home().resolve("trust");
                if (keys != null && keys.trustDir != null && !Files.isDirectory(d)) {
                    throw usage(d + " is not a folder");
                }
                files = publicKeys(d);
                if (files.isEmpty()) {
                    throw new VboxmcpException(ErrorCode.UNTRUSTED, "no public keys in " + d
                            + "; pin one with 'vboxmcp trust add KEYFILE' or pass --key FILE");
                }
            }
            VerificationResult r = s.manager().publisher().verify(path, files);
            if (r.trusted()) {
                s.result("verified " + path + ": signed by " + r.signerFingerprint() + " (" + r.format() + "), manifest "
                        + r.manifestDigest());
            } else {
                s.result("NOT trusted " + path + ": " + r.reason());
            }
            ObjectNode doc = Json.obj();
            doc.set("verification", Json.verification(r));
            s.emitJson(r.trusted(), doc);
            return r.trusted() ? Main.OK : Main.FAILED;
        }

        private static List<Path> publicKeys(Path dir) throws IOException {
            if (!Files.isDirectory(dir)) {
                return List.of();
            }
            try (Stream<Path> st = Files.walk(dir, 3)) {
                return st.filter(RegularFiles::isRegular).filter(p -> {
                    String n = p.getFileName().toString();
                    return !n.startsWith(".") && (n.endsWith(".asc") || n.endsWith(".pub") || n.endsWith(".gpg"));
                }).sorted().toList();
            }
        }
    }
}
