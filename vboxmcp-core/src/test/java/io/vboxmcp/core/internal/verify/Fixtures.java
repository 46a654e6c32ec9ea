package io.vboxmcp.core.internal.verify;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TrustPolicy;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.FetchedTemplate;
import io.vboxmcp.spi.SignatureVerifier;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/** Small templates and wiring shared by the trust tests. */
public final class Fixtures {
    public static final SemanticVersion V1 = SemanticVersion.of(1, 0, 0);
    public static final Map<String, SignatureVerifier> VERIFIERS = Map.of(OpenPgp.FORMAT, new OpenPgp(), SshSignatures.FORMAT, new SshSignatures());

    private Fixtures() {
    }

    /** A template folder with a few files, a nested folder and an executable script. */
    public static Path template(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("scripts"));
        Files.writeString(dir.resolve("template-definition.yaml"), "name: demo\nversion: 1.0.0\n");
        Files.writeString(dir.resolve("scripts/setup.sh"), "#!/bin/sh\necho hello\n");
        dir.resolve("scripts/setup.sh").toFile().setExecutable(true, true);
        Files.writeString(dir.resolve("README.md"), "A demo template é\n");
        return dir;
    }

    public static FetchedTemplate fetched(Path location, boolean remote, List<DetachedSignature> sigs) {
        return new FetchedTemplate("demo", V1, location, sigs, "acme", remote, "test " + location, null);
    }

    public static TemplateTrust trust(Path home, TrustPolicy policy, Clock clock) {
        return new TemplateTrust(home, policy, VERIFIERS, clock);
    }
}
