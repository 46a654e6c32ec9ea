package io.vboxmcp.examples;

import io.vboxmcp.VerificationResult;
import io.vboxmcp.VmManager;
import io.vboxmcp.template.InstalledTemplate;
import io.vboxmcp.template.TemplateDefinition;
import io.vboxmcp.trust.PinnedKey;
import io.vboxmcp.trust.TemplatePublisher;
import io.vboxmcp.trust.TrustStore;

import java.nio.file.Path;
import java.util.List;

/**
 * A template author signs and packs a template; a consumer verifies the package, pins the author's key and installs.
 *
 * <pre>
 * SignAndVerify TEMPLATE_DIR PRIVATE_KEY PUBLIC_KEY PACKAGE [HOME]
 * </pre>
 *
 * The keys are an OpenSSH pair ({@code ssh-keygen -t ed25519}); TEMPLATE_DIR gets the manifest and its signature.
 */
public final class SignAndVerify {
    private SignAndVerify() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: SignAndVerify TEMPLATE_DIR PRIVATE_KEY PUBLIC_KEY PACKAGE [HOME]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Path privateKey = Path.of(args[1]);
        Path publicKey = Path.of(args[2]);
        Path pkg = Path.of(args[3]);
        VmManager.Builder builder = VmManager.builder();
        if (args.length > 4) {
            builder.home(Path.of(args[4]));
        }
        // tag::sign[]
        try (VmManager manager = builder.build()) {
            // the author: validate, write the manifest, sign it, pack the folder
            TemplatePublisher publisher = manager.publisher();
            TemplateDefinition template = manager.validate(dir);
            String manifest = publisher.writeManifest(dir, template.name(), template.version());
            publisher.signSsh(dir, privateKey, new char[0]);  // same bytes as: ssh-keygen -Y sign -n vboxmcp-template
            String packageDigest = publisher.pack(dir, pkg);   // reproducible: same folder, same bytes
            System.out.println("packed " + template.coordinates() + " manifest " + manifest + " package " + packageDigest);

            // the consumer: verify against the author's public key, pin it, install the package
            VerificationResult result = publisher.verify(pkg, List.of(publicKey));
            System.out.println("verified: signed by " + result.signerFingerprint() + " (" + result.format() + ")");
            PinnedKey pinned = manager.trust().add(TrustStore.GLOBAL, publicKey);
            InstalledTemplate installed = manager.templates().install(pkg);
            System.out.println("pinned " + pinned.fingerprint() + ", installed " + installed.definition().coordinates()
                    + " with versions " + manager.templates().versions(template.name()));
        }
        // end::sign[]
    }
}
